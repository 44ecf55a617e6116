import { DiskFerryError } from '../errors.js';

/** Where upload bytes come from: positional reads, so a retried range is simply read again. */
export interface RangeSource {
  /** Reads up to `buffer.length` bytes at `offset` into `buffer`; returns how many (0 only past the end). */
  read(offset: number, buffer: Buffer): Promise<number>;
}

/** The two reusable buffers of one worker: one is on the wire while the other is being filled. */
export interface PieceBuffers {
  readonly a: Buffer;
  readonly b: Buffer;
}

/**
 * Default piece size: 1 MiB, two per worker. The requests stay as large as the plan makes them (a
 * 4 MiB GET fills four pieces); only the reads, writes and TLS writes are 1 MiB. Measured against
 * the real imageio with 4 workers: peak RSS 89-94 MiB with 4 MiB pieces (the reference client's
 * buffer), 83-87 MiB with 1 MiB, at the same client CPU (docs/benchmarks.md).
 */
export const DEFAULT_PIECE_SIZE = 1024 * 1024;

/** Allocates a worker's piece buffers once; they are reused for every request of that worker. */
export function allocPieceBuffers(pieceSize = DEFAULT_PIECE_SIZE): PieceBuffers {
  return { a: Buffer.allocUnsafe(pieceSize), b: Buffer.allocUnsafe(pieceSize) };
}

const noop = () => {};

/**
 * The body of one PUT: `length` bytes from `source` at `offset`, in pieces of the buffer size.
 * While one piece is on the wire the next is read into the other buffer. undici asks for the next
 * piece only after the socket drained the previous one (a piece is far above the socket's high-water
 * mark, so every write waits for 'drain'), which is what makes reusing the buffers safe.
 * A null source sends zeros from `zeros` without reading anything.
 */
export class PutBody implements AsyncIterable<Buffer> {
  private stopped = false;
  private reading: Promise<unknown> | null = null;

  constructor(
    private readonly source: RangeSource | null,
    private readonly offset: number,
    private readonly length: number,
    private readonly buffers: PieceBuffers,
    private readonly zeros: Buffer | null,
    /** Called after each piece went out on the socket, the last one once handed to it (for bytesOnWire progress). */
    private readonly onSent: (bytes: number) => void,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    if (!this.source) {
      const zeros = this.zeros!;
      for (let pos = 0; pos < this.length && !this.stopped; ) {
        const n = Math.min(zeros.length, this.length - pos);
        yield zeros.subarray(0, n);
        pos += n;
        this.onSent(n);
      }
      return;
    }
    const bufs = [this.buffers.a, this.buffers.b] as const;
    let which = 0;
    let pos = 0;
    let next: Promise<number> | null = this.fill(bufs[0], pos);
    while (next) {
      const n = await next;
      if (this.stopped) return;
      const current = bufs[which as 0 | 1];
      pos += n;
      which ^= 1;
      next = pos < this.length ? this.fill(bufs[which as 0 | 1], pos) : null;
      yield current.subarray(0, n);
      this.onSent(n);
    }
  }

  /** Stops reading and waits for a read in flight, so the buffers are free for the next attempt. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.reading?.catch(noop);
  }

  private fill(buffer: Buffer, pos: number): Promise<number> {
    const want = Math.min(buffer.length, this.length - pos);
    const p = this.readFully(buffer, this.offset + pos, want);
    this.reading = p;
    p.catch(noop); // awaited by the generator; this only keeps an abandoned read from being "unhandled"
    return p;
  }

  private async readFully(buffer: Buffer, at: number, want: number): Promise<number> {
    let done = 0;
    while (done < want) {
      if (this.stopped) return done;
      const n = await this.source!.read(at + done, buffer.subarray(done, want));
      if (n <= 0)
        throw new DiskFerryError('image-changed', `The source image ended at byte ${at + done}, before the expected ${at + want}. Did the file change?`, {
          retryable: false,
        });
      done += n;
    }
    return done;
  }
}
