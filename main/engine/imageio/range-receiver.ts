import type { BodyReceiver, ResponseHead } from './exchange.js';
import type { PieceBuffers } from './put-body.js';
import { protocolError, type ErrorContext } from './http-errors.js';

/** Where downloaded bytes go: `data` is only valid until the returned promise settles. */
export type RangeSink = (offset: number, data: Buffer) => Promise<void>;

const noop = () => {};

/**
 * Receives the body of one ranged GET into a worker's two reusable buffers: when one is full it is
 * handed to the sink while the socket keeps filling the other; the socket pauses only when both are
 * busy. Checks what imageio promises for a range: 206, the exact Content-Length and Content-Range.
 */
export class RangeReceiver implements BodyReceiver {
  /** Bytes the sink has finished writing. */
  delivered = 0;
  /** Bytes handed to the sink (finished or in flight). */
  private queued = 0;
  private current: Buffer;
  private spare: Buffer;
  private fill = 0;
  private writing: Promise<void> | null = null;

  constructor(
    private readonly offset: number,
    private readonly length: number,
    buffers: PieceBuffers,
    private readonly sink: RangeSink,
    private readonly ctx: ErrorContext,
  ) {
    this.current = buffers.a;
    this.spare = buffers.b;
  }

  accept(head: ResponseHead): boolean {
    if (head.status < 200 || head.status >= 300) return false;
    if (head.status !== 206) throw protocolError(`expected HTTP 206 for a ranged GET, got ${head.status}`, this.ctx);
    const contentLength = Number(head.headers['content-length']);
    if (contentLength !== this.length)
      throw protocolError(`expected Content-Length ${this.length}, got ${String(head.headers['content-length'])}`, this.ctx);
    // A 206 says which bytes it carries (RFC 9110 §14.4); without that, they could be any.
    const range = head.headers['content-range'];
    const m = typeof range === 'string' ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(range.trim()) : null;
    if (!m || Number(m[1]) !== this.offset || Number(m[2]) !== this.offset + this.length - 1)
      throw protocolError(`expected Content-Range for bytes ${this.offset}-${this.offset + this.length - 1}, got ${typeof range === 'string' ? `'${range}'` : 'none'}`, this.ctx);
    return true;
  }

  onData(chunk: Buffer): void | Promise<void> {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.queued + this.fill + chunk.length - pos > this.length) throw protocolError('the server sent more bytes than requested', this.ctx);
      const n = chunk.copy(this.current, this.fill, pos);
      this.fill += n;
      pos += n;
      if (this.fill === this.current.length) {
        if (this.writing) {
          // Both buffers are busy: pause the socket until the older write is done.
          const rest = chunk.subarray(pos);
          return this.writing.then(() => {
            this.handOff();
            return this.onData(rest);
          });
        }
        this.handOff();
      }
    }
  }

  window(max: number): Buffer | null {
    const room = Math.min(this.current.length - this.fill, max, this.length - this.queued - this.fill);
    return room > 0 ? this.current.subarray(this.fill, this.fill + room) : null;
  }

  commit(n: number): void | Promise<void> {
    if (this.queued + this.fill + n > this.length) throw protocolError('the server sent more bytes than requested', this.ctx);
    this.fill += n;
    if (this.fill < this.current.length) return;
    // Full: hand it off now, or once the older write is done (the window stays closed meanwhile).
    if (this.writing) return this.writing.then(() => this.handOff());
    this.handOff();
  }

  /** Writes the last partial buffer and waits for every write; checks that the whole range arrived. */
  async finish(): Promise<void> {
    await this.writing;
    if (this.fill > 0) {
      this.handOff();
      await this.writing;
    }
    if (this.delivered !== this.length) throw protocolError(`expected ${this.length} bytes, got ${this.delivered}`, this.ctx);
  }

  /** After a failed attempt: waits for the write in flight and drops the partial buffer, so a retry can start at `delivered`. */
  async settle(): Promise<void> {
    await this.writing;
    this.fill = 0;
  }

  private handOff(): void {
    const data = this.current.subarray(0, this.fill);
    const at = this.offset + this.queued;
    this.queued += this.fill;
    const write: Promise<void> = this.sink(at, data).then(() => {
      this.delivered += data.length;
      if (this.writing === write) this.writing = null;
    });
    write.catch(noop); // awaited by onData/finish/settle; this only marks a background failure as seen
    this.writing = write;
    [this.current, this.spare] = [this.spare, this.current];
    this.fill = 0;
  }
}
