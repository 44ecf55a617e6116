import type { Dispatcher } from 'undici';
import { errors } from 'undici';
import { asError } from '../../errors.js';
import { malformed, type ParsedHead } from './response-head.js';
import { ResponseParser, type ResponseSink } from './response-parser.js';
import { READ_BUFFER, SocketPool, type PooledSocket, type SocketPoolOptions, type SocketReader } from './socket-pool.js';

/** What exchange() needs of a dispatcher: undici's Client and SocketDispatcher both fit. */
export interface RequestDispatcher {
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean;
}

/**
 * undici's handler, plus direct reads (SocketDispatcher only; undici never calls them): while a
 * Content-Length body streams, the socket may read straight into the handler's memory.
 */
export interface DirectReadHandler extends Dispatcher.DispatchHandler {
  /** Free memory, at most `max` bytes, where the next body bytes may be read; null when there is none now. */
  onResponseWindow?(max: number): Buffer | null;
  /**
   * `n` body bytes were read into the start of the last window (instead of an onResponseData). A
   * window is the socket's until its next read: a handler that pauses from outside a callback must
   * keep it valid meanwhile (bytes read into it are reported on resume).
   */
  onResponseDataRead?(controller: Dispatcher.DispatchController, n: number): void;
}

/** undici's defaults for a request that names no timeout. */
const DEFAULT_TIMEOUT_MS = 300_000;
const EMPTY = Buffer.alloc(0);

/**
 * A dispatcher for body-less requests (ranged GETs of image data) with undici's `dispatch(options,
 * handler)` and controller API, on sockets of its own (SocketPool) and a response parser of its own
 * (ResponseParser): body bytes are never copied on their way to the handler, and with direct reads
 * TLS decrypts them straight into the receiver's buffer. undici's WASM parser copied each chunk once
 * more and Node allocated a Buffer per TLS record: about twice curl's CPU (docs/benchmarks.md).
 *
 * As with undici: timeouts are `headersTimeout` (the whole wait for the head, restarted by a 1xx)
 * and `bodyTimeout` (the longest gap between body bytes), neither running while the handler has
 * paused; after pause() no callback comes until resume(). Unlike undici, a chunk given to
 * onResponseData is a view of a reusable buffer: valid until the call returns or, when the handler
 * paused during the call, until it resumes. Interim 1xx answers are skipped (RFC 9110 §15.2; undici
 * refuses a 100), and bytes after the end of an answer fail it (the server is out of step).
 */
export class SocketDispatcher implements RequestDispatcher {
  private readonly pool: SocketPool;

  constructor(options: SocketPoolOptions) {
    this.pool = new SocketPool(options);
  }

  dispatch(options: Dispatcher.DispatchOptions, handler: DirectReadHandler): boolean {
    new SocketRequest(this.pool, options, handler).start();
    return true;
  }

  /** Closes every socket; requests in flight fail. */
  close(): void {
    this.pool.close();
  }
}

/** The request line and fields, checked against header injection. */
function requestHead(o: Dispatcher.DispatchOptions, host: string): string {
  const fields: Array<[string, string]> = [];
  const h = o.headers;
  if (Array.isArray(h)) for (let i = 0; i + 1 < h.length; i += 2) fields.push([String(h[i]), String(h[i + 1])]);
  else if (h && typeof h === 'object')
    for (const [name, value] of Object.entries(h as Record<string, string | string[] | undefined>)) {
      for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) fields.push([name, v]);
    }
  if (!/^[A-Z]+$/.test(o.method) || !/^\/[^\s]*$/.test(o.path)) throw new errors.InvalidArgumentError('invalid method or path');
  let text = `${o.method} ${o.path} HTTP/1.1\r\n`;
  if (!fields.some(([n]) => n.toLowerCase() === 'host')) text += `host: ${host}\r\n`;
  for (const [name, value] of fields) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) || /[\r\n\0]/.test(value)) throw new errors.InvalidArgumentError(`invalid request field ${name}`);
    text += `${name}: ${value}\r\n`;
  }
  return `${text}\r\n`;
}

/** One request on a pooled socket: the controller its handler gets, and the socket's reader. */
class SocketRequest implements Dispatcher.DispatchController, SocketReader, ResponseSink {
  private socket: PooledSocket | null = null;
  private readonly parser: ResponseParser;
  private readonly connecting = new AbortController();
  private headTimer: NodeJS.Timeout | null = null;
  private done = false;
  private isPaused = false;
  private abortReason: Error | null = null;
  /** Bytes that came while paused (owned copies), or the rest of a chunk a pause stopped in. */
  private readonly backlog: Buffer[] = [];
  /** The chunk being handed to the parser lies in the socket's read buffer (a pause must hold it). */
  private inReadBuffer = false;
  private eofPending = false;
  private readWhilePaused = 0;

  constructor(
    private readonly pool: SocketPool,
    private readonly o: Dispatcher.DispatchOptions,
    private readonly handler: DirectReadHandler,
  ) {
    this.parser = new ResponseParser(this, o.method === 'HEAD');
  }

  get aborted(): boolean {
    return this.abortReason !== null;
  }
  get paused(): boolean {
    return this.isPaused;
  }
  get reason(): Error | null {
    return this.abortReason;
  }

  start(): void {
    let head: string;
    try {
      if (this.o.body !== null && this.o.body !== undefined) throw new errors.InvalidArgumentError('this dispatcher sends requests without a body');
      head = requestHead(this.o, this.pool.host);
    } catch (err) {
      return this.fail(asError(err));
    }
    this.handler.onRequestStart?.(this, {});
    if (this.done) return;
    this.pool.acquire(this.connecting.signal).then(
      (socket) => {
        if (this.done) return this.pool.release(socket, true);
        this.socket = socket;
        socket.reader = this;
        this.armHeadTimer();
        socket.reading(true);
        socket.socket.write(head, 'latin1');
      },
      (err: Error) => this.fail(err),
    );
  }

  abort(reason: Error): void {
    if (this.done) return;
    this.abortReason = reason;
    this.fail(reason);
  }

  pause(): void {
    if (this.done || this.isPaused) return;
    this.isPaused = true;
    if (!this.socket) return;
    this.socket.socket.setTimeout(0); // our own wait is not the server's
    if (this.inReadBuffer) this.socket.hold();
    this.socket.reading(false);
  }

  resume(): void {
    if (this.done || !this.isPaused) return;
    this.isPaused = false;
    if (this.readWhilePaused > 0) this.bodyRead(this.readWhilePaused);
    this.readWhilePaused = 0;
    while (!this.done && !this.isPaused && this.backlog.length > 0) this.feed(this.backlog.shift()!, false);
    if (this.done || this.isPaused) return;
    this.feed(EMPTY, false); // an answer whose last bytes came before the pause completes now
    if (this.done || this.isPaused) return;
    if (this.eofPending) return this.closed();
    this.socket?.socket.setTimeout(this.parser.head ? (this.o.bodyTimeout ?? DEFAULT_TIMEOUT_MS) : 0);
    this.socket?.reading(true);
  }

  // SocketReader

  window(): Buffer | null {
    const left = this.parser.bodyLeft;
    if (this.done || this.isPaused || left === 0 || this.backlog.length > 0 || !this.handler.onResponseWindow) return null;
    return this.handler.onResponseWindow(Math.min(left, READ_BUFFER));
  }

  committed(n: number): boolean {
    if (this.done) return false;
    if (this.isPaused) {
      // Into a window lent before a pause from outside a callback: reported once resumed.
      this.readWhilePaused += n;
      return false;
    }
    this.bodyRead(n);
    return !this.done && !this.isPaused;
  }

  /** Accounts for `n` body bytes read into the handler's window and tells the handler. */
  private bodyRead(n: number): void {
    try {
      this.parser.skip(n);
      this.handler.onResponseDataRead!(this, n);
    } catch (err) {
      return this.fail(asError(err));
    }
    if (!this.done && !this.isPaused && this.parser.bodyLeft === 0) this.feed(EMPTY, false);
  }

  data(chunk: Buffer): boolean {
    if (this.done) return false;
    if (this.isPaused) {
      this.backlog.push(Buffer.from(chunk)); // TLS may hand over a record or two after a pause
      return false;
    }
    this.feed(chunk, true);
    return !this.done && !this.isPaused;
  }

  closed(): void {
    if (this.done) return;
    if (this.isPaused) {
      this.eofPending = true;
      return;
    }
    const nothingYet = this.parser.untouched;
    try {
      this.parser.finish();
    } catch {
      // A kept-alive socket the server closed before answering is the usual case: said as a network failure.
      return this.fail(new errors.SocketError(nothingYet ? 'the server closed the connection without an answer' : 'the server closed the connection before its answer was complete'));
    }
    this.succeed(false);
  }

  failed(err: Error): void {
    this.fail(err);
  }

  timedOut(): void {
    this.fail(new errors.BodyTimeoutError(`no data from the server for ${((this.o.bodyTimeout ?? DEFAULT_TIMEOUT_MS) / 1000).toFixed(1)} s`));
  }

  // ResponseSink

  onHead(head: ParsedHead): boolean {
    if (head.status < 200) this.armHeadTimer();
    else {
      this.clearHeadTimer();
      this.socket?.socket.setTimeout(this.o.bodyTimeout ?? DEFAULT_TIMEOUT_MS);
    }
    this.handler.onResponseStart?.(this, head.status, head.headers, head.statusText);
    return !this.done && !this.isPaused;
  }

  onBody(chunk: Buffer): boolean {
    this.handler.onResponseData?.(this, chunk);
    return !this.done && !this.isPaused;
  }

  /** Parses `chunk` (`shared`: a view of the socket's read buffer); ends or fails the request as the answer says. */
  private feed(chunk: Buffer, shared: boolean): void {
    this.inReadBuffer = shared;
    try {
      const used = this.parser.execute(chunk);
      if (this.done) return;
      if (this.parser.complete) {
        if (used < chunk.length) throw malformed('HPE_INVALID_CONSTANT', 'the server sent bytes past the end of its answer');
        return this.succeed(this.parser.keepAlive);
      }
      // Stopped early only for a pause: the rest waits (the socket holds a shared buffer until resume()).
      if (used < chunk.length) this.backlog.unshift(chunk.subarray(used));
    } catch (err) {
      this.fail(asError(err));
    } finally {
      this.inReadBuffer = false;
    }
  }

  private succeed(keep: boolean): void {
    this.done = true;
    this.clearHeadTimer();
    if (this.socket) this.pool.release(this.socket, keep);
    this.handler.onResponseEnd?.(this, this.parser.trailers);
  }

  private fail(err: Error): void {
    if (this.done) return;
    this.done = true;
    this.clearHeadTimer();
    this.connecting.abort(err);
    if (this.socket) {
      this.socket.reader = null;
      this.socket.destroy(); // mid-answer: the connection is out of step
    }
    this.handler.onResponseError?.(this, err);
  }

  private armHeadTimer(): void {
    this.clearHeadTimer();
    const ms = this.o.headersTimeout ?? DEFAULT_TIMEOUT_MS;
    if (ms > 0) this.headTimer = setTimeout(() => this.fail(new errors.HeadersTimeoutError(`no answer from the server within ${(ms / 1000).toFixed(1)} s`)), ms);
  }

  private clearHeadTimer(): void {
    if (this.headTimer) clearTimeout(this.headTimer);
    this.headTimer = null;
  }
}
