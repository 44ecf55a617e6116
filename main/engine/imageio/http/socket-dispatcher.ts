import type { Dispatcher } from 'undici';
import type { Socket } from 'node:net';
import { asError } from '../../errors.js';
import * as errors from './errors.js';
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
const noop = (): void => {};

/**
 * The data plane's dispatcher, with undici's `dispatch(options, handler)` and controller API, on
 * sockets of its own (SocketPool) and a response parser of its own (ResponseParser): body bytes are
 * never copied on their way to the handler, and with direct reads TLS decrypts them straight into
 * the receiver's buffer. undici's WASM parser copied each chunk once more and Node allocated a
 * Buffer per TLS record: about twice curl's CPU (docs/benchmarks.md).
 *
 * Request bodies: a Buffer goes out with the head in one write (a PATCH is one TLS record, no
 * Nagle or delayed-ACK stall); an async iterable (a PUT's pieces) is streamed with the
 * Content-Length the caller gives (never chunked: imageio takes none), and the next piece is asked
 * for only once the socket took the previous one, so the iterable may reuse its buffers. The head
 * timer restarts with every slice the socket took (a server that stops taking the body times out
 * like one that does not answer). An answer that comes before the body is complete ends the request and
 * closes the connection, which is out of step.
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
function requestHead(o: Dispatcher.DispatchOptions, host: string, body: RequestBody | null): { text: string; length: number } {
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
  const declared = fields.find(([n]) => n.toLowerCase() === 'content-length')?.[1];
  if (body && Buffer.isBuffer(body)) {
    if (declared === undefined) text += `content-length: ${body.length}\r\n`;
    else if (declared !== String(body.length)) throw new errors.InvalidArgumentError('the content-length does not match the body');
  } else if (body && (declared === undefined || !/^\d+$/.test(declared))) throw new errors.InvalidArgumentError('a streamed body needs its content-length');
  const length = body ? (Buffer.isBuffer(body) ? body.length : Number(declared)) : 0;
  for (const [name, value] of fields) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) || /[\r\n\0]/.test(value)) throw new errors.InvalidArgumentError(`invalid request field ${name}`);
    text += `${name}: ${value}\r\n`;
  }
  return { text: `${text}\r\n`, length };
}

type RequestBody = Buffer | AsyncIterable<Uint8Array>;

/** The request's body as this dispatcher sends it; null for none. */
function requestBody(body: unknown): RequestBody | null {
  if (body === null || body === undefined) return null;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof (body as Partial<AsyncIterable<Uint8Array>>)[Symbol.asyncIterator] === 'function') return body as AsyncIterable<Uint8Array>;
  throw new errors.InvalidArgumentError('the body must be a Buffer, a string or an async iterable of bytes');
}

/** Resolves once the socket took `chunk` (its memory may be reused then); rejects when the socket failed. */
function written(socket: Socket, chunk: Uint8Array | string): Promise<void> {
  return new Promise((resolve, reject) => socket.write(chunk, (err) => (err ? reject(err) : resolve())));
}

/** A small body goes out with the head in one write; above this, in a write of its own. */
const JOIN_BODY_BELOW = 64 * 1024;

/**
 * A piece is written in slices of this size, each once the socket took the one before: TLS holds the
 * encrypted copy of a whole write until the kernel took it, so a 4 MiB piece on each of 4 connections
 * kept ~14 MiB more memory at the peak of an upload than 256 KiB slices (docs/benchmarks.md).
 */
const WRITE_SLICE = 256 * 1024;

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
  /** The request body is still being written: an answer now leaves the connection out of step. */
  private sending = false;

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
    let head: { text: string; length: number };
    let body: RequestBody | null;
    try {
      body = requestBody(this.o.body);
      head = requestHead(this.o, this.pool.host, body);
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
        if (body === null) socket.socket.write(head.text, 'latin1');
        else if (Buffer.isBuffer(body) && body.length < JOIN_BODY_BELOW) socket.socket.write(Buffer.concat([Buffer.from(head.text, 'latin1'), body]));
        else void this.send(socket.socket, head.text, body, head.length);
      },
      (err: Error) => this.fail(err),
    );
  }

  /**
   * Writes the head and then the body, piece by piece, each once the socket took the one before.
   * `sending` ends when the body's last bytes are handed to the socket, not when it reports them
   * written: on a fast link the answer can come first, and the connection is in step by then. The
   * body's iterator runs to its end at once after that hand-over, before any answer can be read, so
   * what it does after its last piece (a PUT counts the piece as sent) is never skipped.
   */
  private async send(socket: Socket, head: string, body: RequestBody, length: number): Promise<void> {
    this.sending = length > 0;
    let sent = 0;
    let last: Promise<void> | null = null;
    try {
      await written(socket, Buffer.from(head, 'latin1'));
      for await (const chunk of Buffer.isBuffer(body) ? [body] : body) {
        if (this.done) return;
        sent += chunk.length;
        if (sent > length) throw new errors.InvalidArgumentError(`the body is longer than its content-length (${length})`);
        for (let at = 0; at < chunk.length; at += WRITE_SLICE) {
          const taken = written(socket, chunk.subarray(at, at + WRITE_SLICE));
          if (sent === length && at + WRITE_SLICE >= chunk.length) {
            this.sending = false;
            last = taken;
            taken.catch(noop); // awaited below, once the iterator ended
            break;
          }
          await taken;
          if (this.done) return;
          if (!this.parser.head) this.armHeadTimer();
        }
      }
      if (sent !== length) throw new errors.InvalidArgumentError(`the body ended after ${sent} of its ${length} bytes`);
      this.sending = false;
      if (last) await last;
      if (!this.done && !this.parser.head) this.armHeadTimer();
    } catch (err) {
      this.fail(asError(err));
    }
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
    if (this.socket) this.pool.release(this.socket, keep && !this.sending);
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
    const waited = `${(ms / 1000).toFixed(1)} s`;
    const timedOut = () =>
      this.fail(new errors.HeadersTimeoutError(this.sending ? `the server took no data for ${waited}` : `no answer from the server within ${waited}`));
    if (ms > 0) this.headTimer = setTimeout(timedOut, ms);
  }

  private clearHeadTimer(): void {
    if (this.headTimer) clearTimeout(this.headTimer);
    this.headTimer = null;
  }
}
