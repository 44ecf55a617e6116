import type { Socket } from 'node:net';
import { ConnectionLost } from './http-errors.js';

/** Pause the socket above this many queued bytes, resume below LOW_WATER: bounded memory per connection. */
const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;
/** http.py::Connection.max_request_line. */
const MAX_REQUEST_LINE = 4096;
/** Python's header limits (100 lines of 64 KiB) are far above anything a client sends; cap the whole head. */
const MAX_HEAD = 256 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');

/** The result of waiting for a request head. */
export type HeadResult = { kind: 'head'; head: Buffer } | { kind: 'eof' } | { kind: 'too-large'; status: 414 | 431 };

/**
 * One client connection: a pull reader over the socket (so a PUT body streams with backpressure and
 * nothing is buffered beyond HIGH_WATER) and promise-based writes. Requests are served one at a time,
 * like imageio's thread per connection.
 */
export class HttpConnection {
  readonly socket: Socket;
  closed = false;
  /** Set by a response that sends `connection: close`. */
  closeAfterResponse = false;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private eof = false;
  private ending = false;
  private discarding = false;
  private wake: (() => void) | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;
  private idleMs = 0;
  private readonly lingerMs: number;
  private readonly closeHandlers: Array<() => void> = [];

  constructor(socket: Socket, lingerMs: number) {
    this.socket = socket;
    this.lingerMs = lingerMs;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onClosed());
    socket.on('error', () => {}); // 'close' always follows
    socket.on('timeout', () => socket.destroy());
  }

  /** Runs fn when the connection closes (releases ticket bindings). */
  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeHandlers.push(fn);
  }

  /** Socket idle timeout in ms (0 disables): 60 s before authorization, then the ticket's inactivity_timeout. */
  setIdleTimeout(ms: number): void {
    this.idleMs = ms;
    if (!this.closed) this.socket.setTimeout(ms);
  }

  /** Python's socket timeout only covers recv/send; long server-side work (checksum) must not trip it. */
  async withoutIdleTimeout<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.closed) this.socket.setTimeout(0);
    try {
      return await fn();
    } finally {
      if (!this.closed) this.socket.setTimeout(this.idleMs);
    }
  }

  private onData(chunk: Buffer): void {
    if (this.discarding) return;
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.queued >= HIGH_WATER) this.socket.pause();
    this.notify();
  }

  private onEnd(): void {
    this.eof = true;
    this.destroyWhenDone();
    this.notify();
  }

  /** After our FIN is flushed and the client's FIN arrived, nothing is left to do on this socket. */
  private destroyWhenDone(): void {
    if (this.ending && this.eof && this.socket.writableFinished) this.socket.destroy();
  }

  private onClosed(): void {
    this.closed = true;
    this.eof = true;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.notify();
    for (const fn of this.closeHandlers.splice(0)) fn();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private waitMore(): Promise<void> {
    if (this.eof) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private consumed(n: number): void {
    this.queued -= n;
    if (this.queued < LOW_WATER && this.socket.isPaused() && !this.closed) this.socket.resume();
  }

  /** Waits for the next request head (without the final CRLFCRLF); leading empty lines are skipped. */
  async readHead(): Promise<HeadResult> {
    for (;;) {
      let buf = this.queue[0];
      let end = buf ? buf.indexOf(CRLFCRLF) : -1;
      // Join chunks only until the head is complete: body bytes behind it stay where they are.
      while (buf && end < 0 && this.queue.length > 1 && buf.length <= MAX_HEAD) {
        buf = Buffer.concat([buf, this.queue[1]!]);
        this.queue.splice(0, 2, buf);
        end = buf.indexOf(CRLFCRLF);
      }
      if (buf && buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
        this.queue[0] = buf.subarray(2);
        this.consumed(2);
        if (this.queue[0].length === 0) this.queue.shift();
        continue;
      }
      if (buf && buf.length > 0) {
        const lineEnd = buf.indexOf('\r\n');
        if ((lineEnd < 0 ? buf.length : lineEnd) > MAX_REQUEST_LINE) return { kind: 'too-large', status: 414 };
        if (end >= 0) {
          const rest = buf.subarray(end + 4);
          if (rest.length > 0) this.queue[0] = rest;
          else this.queue.shift();
          this.consumed(end + 4);
          return { kind: 'head', head: buf.subarray(0, end) };
        }
        if (buf.length > MAX_HEAD) return { kind: 'too-large', status: 431 };
      }
      if (this.eof) return { kind: 'eof' };
      await this.waitMore();
    }
  }

  /** Reads up to target.length body bytes (fewer only at end of stream); the caller bounds it by Content-Length. */
  async readInto(target: Buffer): Promise<number> {
    let filled = 0;
    while (filled < target.length) {
      const chunk = this.queue[0];
      if (!chunk) {
        if (this.eof) break;
        await this.waitMore();
        continue;
      }
      const n = Math.min(chunk.length, target.length - filled);
      chunk.copy(target, filled, 0, n);
      if (n === chunk.length) this.queue.shift();
      else this.queue[0] = chunk.subarray(n);
      filled += n;
      this.consumed(n);
    }
    return filled;
  }

  /** Writes bytes; resolves once they are handed to the kernel, rejects with ConnectionLost. */
  write(data: Buffer | Uint8Array): Promise<void> {
    if (this.closed || this.socket.destroyed || this.ending) return Promise.reject(new ConnectionLost('connection closed'));
    return new Promise((resolve, reject) => {
      this.socket.write(data, (err) => (err ? reject(new ConnectionLost(err.message)) : resolve()));
    });
  }

  /**
   * Closes after the response. With unread request bytes (`discard`) the rest of the body is read and
   * dropped until the client closes, so it gets our answer instead of a reset; imageio never reads it.
   */
  end(discard: boolean): void {
    if (this.closed || this.ending) return;
    this.ending = true;
    if (discard) {
      this.discarding = true;
      this.queue.length = 0;
      this.queued = 0;
      this.socket.resume();
    }
    this.socket.end(() => this.destroyWhenDone());
    this.lingerTimer = setTimeout(() => this.socket.destroy(), this.lingerMs);
    this.lingerTimer.unref();
  }

  /** Drops the connection at once (faults, aborted responses). */
  destroy(): void {
    this.socket.destroy();
  }
}
