import type { ConnectionOptions } from 'node:tls';
import { DiskFerryError, asDiskFerryError, errorCode } from '../errors.js';
import type { Log } from '../log.js';
import { exchange, type BodyReceiver, type ExchangeRequest, type ExchangeResult, type ResponseHead } from './exchange.js';
import { SocketDispatcher, type RequestDispatcher } from './http/socket-dispatcher.js';
import { BROKEN_SERVER_HINT, protocolError, statusError, transportError, type ErrorContext } from './http-errors.js';
import { PutBody, type PieceBuffers, type RangeSource } from './put-body.js';
import { RangeReceiver, type RangeSink } from './range-receiver.js';
import { backoffDelay, cancelledError, type RetryPolicy, type Sleep } from './retry.js';

/** One imageio server and ticket: everything a connection needs to address it. */
export interface ImageioEndpoint {
  /** `https://host:port` */
  readonly origin: string;
  /** `/images/<ticket>`: a secret. */
  readonly path: string;
  /** `host:port (direct)` or `host:port (proxy)`, safe to show and log. */
  readonly display: string;
  readonly viaProxy: boolean;
  /** Strings that must never reach a log or a message (ticket id, signed ticket). */
  readonly secrets: readonly string[];
  /** The signed ticket, sent as `Authorization` to a legacy (engine 4.1) proxy. */
  readonly authorization: string | null;
  /** The HTTP proxy every connection to `origin` tunnels through (CONNECT); null or absent: direct. */
  readonly httpProxy?: URL | null;
}

/** Timeouts of the data plane, in ms. */
export interface ImageioTimeouts {
  /** TCP + TLS connect (the reference client uses 10 s). */
  readonly connectMs: number;
  /** Waiting for headers or between body chunks (the reference client uses 60 s). */
  readonly readMs: number;
  /** Waiting for /checksum and /extents, which read the whole image first. */
  readonly longReadMs: number;
  /** Close our side of an idle keep-alive connection (below imageio's inactivity_timeout). */
  readonly idleMs: number;
}

/** Default timeouts. */
export const DEFAULT_TIMEOUTS: ImageioTimeouts = { connectMs: 10_000, readMs: 60_000, longReadMs: 60 * 60_000, idleMs: 30_000 };

/**
 * Which dispatcher carries ranged GETs (the image data of downloads): `socket`, our SocketDispatcher
 * like every other request (the default: about half undici's CPU per byte, docs/benchmarks.md), or
 * `undici`, an undici Client loaded for them (to compare, or should ours misbehave somewhere). Both
 * run under exchange().
 */
export type RangedGetDispatcher = 'socket' | 'undici';

/** The choice from an environment (a host's, read by its composition root): `DISKFERRY_RANGED_GETS=undici` switches to undici. */
export function rangedGetDispatcherFrom(env: Readonly<Record<string, string | undefined>>): RangedGetDispatcher {
  return env['DISKFERRY_RANGED_GETS'] === 'undici' ? 'undici' : 'socket';
}

/** The injected pieces every connection uses. */
export interface ConnectionDeps {
  readonly tls: ConnectionOptions;
  readonly log: Log;
  readonly sleep: Sleep;
  readonly random: () => number;
  readonly retry: RetryPolicy;
  readonly timeouts: ImageioTimeouts;
  /** Default `socket`. */
  readonly rangedGets?: RangedGetDispatcher;
}

/** An OPTIONS answer is a few hundred bytes; anything near this is not imageio. */
const MAX_OPTIONS_BYTES = 64 * 1024;

/** The largest extents or checksum answer accepted (a very fragmented multi-TiB disk stays far below it). */
const MAX_JSON_BYTES = 256 * 1024 * 1024;

/**
 * Collects a 200 answer up to `limit` bytes. A larger one, announced or streamed, is refused at once
 * instead of being drained: a hostile server could otherwise stall the transfer with an endless or
 * falsely announced body. Other answers are left to exchange(), which keeps the start of their text.
 */
function boundedBody(limit: number, ctx: ErrorContext): BodyReceiver & { body(res: ExchangeResult): Buffer } {
  const chunks: Buffer[] = [];
  let size = 0;
  const tooLarge = () =>
    protocolError(
      `the answer is larger than ${limit >= 1024 * 1024 ? `${limit / 1024 / 1024} MiB` : `${limit / 1024} KiB`}, which DiskFerry refuses`,
      ctx,
    );
  return {
    accept(head: ResponseHead): boolean {
      if (head.status !== 200) return false;
      const declared = Number(head.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit) throw tooLarge();
      return true;
    },
    onData(chunk: Buffer): void {
      size += chunk.length;
      if (size > limit) throw tooLarge();
      chunks.push(Buffer.from(chunk));
    },
    body: (res) => (res.status === 200 ? Buffer.concat(chunks, size) : res.body),
  };
}

/** Which failures a request may repeat: transport failures only, or also 5xx answers. */
type RetryOn = 'network' | 'network-and-5xx';

/**
 * One keep-alive connection to an imageio server (TCP_NODELAY, no pipelining): every request on a
 * SocketDispatcher (ranged GETs switched to undici on request), through exchange(). A worker uses
 * one kind of request, so it holds one socket. Data requests reconnect and retry idempotent work a
 * bounded number of times.
 */
export class ImageioConnection {
  /** Requests repeated after a failure (for statistics and tests). */
  retries = 0;
  /** Every request's dispatcher: its sockets open on first use. */
  private readonly dispatcher: SocketDispatcher;
  /** The undici Client of ranged GETs when they are switched to undici (created on first use). */
  private undici: Promise<RequestDispatcher & { destroy(): Promise<void> }> | null = null;
  private zeros: Buffer | null = null;

  constructor(
    readonly endpoint: ImageioEndpoint,
    private readonly deps: ConnectionDeps,
  ) {
    const { connectMs, idleMs } = deps.timeouts;
    this.dispatcher = new SocketDispatcher({ origin: endpoint.origin, tls: deps.tls, connectMs, idleMs, proxy: endpoint.httpProxy ?? null });
  }

  /** OPTIONS on the ticket: raw result (the session parses it). Touches the ticket. */
  async options(signal: AbortSignal, attempts?: number): Promise<ExchangeResult> {
    return this.withRetry('Asking the data server for its options', 'network-and-5xx', signal, attempts, async (ctx) => {
      const rx = boundedBody(MAX_OPTIONS_BYTES, ctx);
      const answer = await this.send(ctx, { method: 'OPTIONS', path: this.endpoint.path, signal }, rx);
      const res = { ...answer, body: rx.body(answer) };
      if (res.status === 200 || res.status === 204 || res.status === 405) return res;
      throw statusError(res.status, res.body, ctx, res.headers);
    });
  }

  /** GET `path` (relative to the ticket path, e.g. `/extents?context=zero`) and parse the JSON answer. */
  async getJson(suffix: string, what: string, signal: AbortSignal): Promise<unknown> {
    return this.withRetry(what, 'network-and-5xx', signal, undefined, async (ctx) => {
      const rx = boundedBody(MAX_JSON_BYTES, ctx);
      const res = await this.send(ctx, { method: 'GET', path: this.endpoint.path + suffix, signal, long: true }, rx);
      if (res.status !== 200) throw statusError(res.status, res.body, ctx, res.headers);
      try {
        return JSON.parse(rx.body(res).toString('utf8')) as unknown;
      } catch (err) {
        throw new DiskFerryError('protocol', `${ctx.what} on ${ctx.where}: the answer is not valid JSON. ${BROKEN_SERVER_HINT}`, { cause: err, retryable: false });
      }
    });
  }

  /** Size of the image from a GET without Range (legacy servers have no extents); closes this connection's socket. */
  async sizeFromGet(signal: AbortSignal): Promise<number> {
    return this.withRetry('Reading the image size', 'network-and-5xx', signal, undefined, async (ctx) => {
      const res = await exchange(this.dispatcher, this.request({ method: 'GET', path: this.endpoint.path, signal }), { headOnly: true }).catch((err: unknown) =>
        this.rethrow(err, ctx),
      );
      if (res.status !== 200) throw statusError(res.status, res.body, ctx, res.headers);
      const size = Number(res.headers['content-length']);
      if (!Number.isSafeInteger(size) || size < 0) throw new DiskFerryError('protocol', `${ctx.what} on ${ctx.where}: no usable Content-Length. ${BROKEN_SERVER_HINT}`, { retryable: false });
      return size;
    });
  }

  /**
   * Downloads [offset, offset+length) with one ranged GET into `buffers`, handing full buffers to
   * `sink`. After a dropped connection or a 5xx it asks again for the part not yet delivered.
   */
  async get(offset: number, length: number, buffers: PieceBuffers, sink: RangeSink, signal: AbortSignal): Promise<void> {
    let done = 0;
    const ranged = this.deps.rangedGets === 'undici' ? await (this.undici ??= import('./undici-client.js').then((m) => m.undiciClient(this.endpoint, this.deps))) : this.dispatcher;
    await this.withRetry(`Downloading bytes ${offset}-${offset + length - 1}`, 'network-and-5xx', signal, undefined, async (ctx) => {
      const start = offset + done;
      const want = length - done;
      const receiver = new RangeReceiver(start, want, buffers, sink, ctx);
      const req = this.request({ method: 'GET', path: this.endpoint.path, headers: { range: `bytes=${start}-${start + want - 1}` }, signal });
      try {
        const res = await exchange(ranged, req, { receiver }).catch((err: unknown) => this.rethrow(err, ctx));
        if (res.status !== 206) throw statusError(res.status, res.body, ctx, res.headers);
        await receiver.finish();
      } finally {
        await receiver.settle().finally(() => (done += receiver.delivered));
      }
    });
  }

  /**
   * Uploads [offset, offset+length) with one PUT (Content-Length, Content-Range, never chunked),
   * reading the bytes from `source` (or sending zeros when it is null). A dropped connection makes
   * it read and send the range again; a 5xx is thrown (the caller resends everything since the last
   * flush). `flush`: true/false adds `?flush=y|n` (servers with the flush feature), null leaves it out.
   */
  async put(
    offset: number,
    length: number,
    body: { source: RangeSource | null; buffers: PieceBuffers; flush: boolean | null; onSent?: (bytes: number) => void },
    signal: AbortSignal,
  ): Promise<void> {
    const query = body.flush === null ? '' : `?flush=${body.flush ? 'y' : 'n'}`;
    if (!body.source) this.zeros ??= Buffer.alloc(body.buffers.a.length);
    await this.withRetry(`Uploading bytes ${offset}-${offset + length - 1}`, 'network', signal, undefined, async (ctx) => {
      const pump = new PutBody(body.source, offset, length, body.buffers, this.zeros, body.onSent ?? (() => {}));
      const headers = {
        'content-type': 'application/octet-stream',
        'content-length': String(length),
        'content-range': `bytes ${offset}-${offset + length - 1}/*`,
      };
      try {
        const res = await this.send(ctx, { method: 'PUT', path: this.endpoint.path + query, headers, body: length > 0 ? pump : null, signal });
        if (res.status < 200 || res.status >= 300) throw statusError(res.status, res.body, ctx, res.headers);
      } finally {
        await pump.stop();
      }
    });
  }

  /**
   * PATCH zero over [offset, offset+size). Idempotent, so also repeated after a 5xx. `flush` asks the
   * server to flush after zeroing: needed on a server without the flush feature, where no PATCH flush
   * follows (reference/imageio.md §8.2: `"flush": not can_flush`).
   */
  async zero(offset: number, size: number, signal: AbortSignal, flush = false): Promise<void> {
    await this.patch({ op: 'zero', offset, size, flush }, `Zeroing bytes ${offset}-${offset + size - 1}`, 'network-and-5xx', signal);
  }

  /** PATCH flush. A 5xx is thrown: the caller must resend everything since the last flush. */
  async flush(signal: AbortSignal): Promise<void> {
    await this.patch({ op: 'flush' }, 'Flushing the written data', 'network', signal);
  }

  /** Closes the socket. */
  async close(): Promise<void> {
    this.dispatcher.close();
    const undici = await this.undici?.catch(() => null);
    await undici?.destroy().catch(() => {});
  }

  private async patch(op: Record<string, unknown>, what: string, retryOn: RetryOn, signal: AbortSignal): Promise<void> {
    // One small Buffer: written with the headers in one write (no Nagle/delayed-ACK stall).
    const body = Buffer.from(JSON.stringify(op));
    await this.withRetry(what, retryOn, signal, undefined, async (ctx) => {
      const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
      const res = await this.send(ctx, { method: 'PATCH', path: this.endpoint.path, headers, body, signal });
      if (res.status < 200 || res.status >= 300) throw statusError(res.status, res.body, ctx, res.headers);
    });
  }

  private request(r: { method: ExchangeRequest['method']; path: string; signal: AbortSignal; headers?: Record<string, string>; body?: ExchangeRequest['body']; long?: boolean }): ExchangeRequest {
    const timeout = r.long ? this.deps.timeouts.longReadMs : this.deps.timeouts.readMs;
    const headers = this.endpoint.authorization ? { ...r.headers, authorization: this.endpoint.authorization } : (r.headers ?? {});
    return { method: r.method, path: r.path, headers, body: r.body ?? null, headersTimeout: timeout, bodyTimeout: timeout, signal: r.signal };
  }

  private send(
    ctx: ErrorContext,
    r: Parameters<ImageioConnection['request']>[0],
    receiver?: BodyReceiver,
    collectLimit?: number,
  ): Promise<ExchangeResult> {
    const options = receiver ? { receiver } : {};
    return exchange(this.dispatcher, this.request(r), collectLimit ? { ...options, collectLimit } : options).catch((err: unknown) => this.rethrow(err, ctx));
  }

  private rethrow(err: unknown, ctx: ErrorContext): never {
    const code = errorCode(err);
    // A malformed HTTP answer (parser error, body longer or shorter than announced while the socket stayed open).
    if (code !== undefined && (code.startsWith('HPE_') || code.startsWith('UND_ERR_RES_')))
      throw protocolError(`the server sent a malformed answer (${code})`, ctx, err);
    throw transportError(err, ctx) ?? asDiskFerryError(err);
  }

  /** Runs `fn` until it succeeds, fails with a non-retryable error, or the attempts run out. */
  private async withRetry<T>(what: string, retryOn: RetryOn, signal: AbortSignal, attempts: number | undefined, fn: (ctx: ErrorContext) => Promise<T>): Promise<T> {
    const ctx: ErrorContext = { what, where: this.endpoint.display, secrets: this.endpoint.secrets };
    const max = attempts ?? this.deps.retry.attempts;
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) throw cancelledError();
      try {
        return await fn(ctx);
      } catch (err) {
        if (signal.aborted) throw cancelledError();
        const e = asDiskFerryError(err);
        // A network error marked not retryable (a proxy that wants credentials) fails at once.
        const repeatable = (e.code === 'network' && e.retryable) || (retryOn === 'network-and-5xx' && e.code === 'server-error');
        if (!repeatable || attempt >= max) throw e;
        this.retries++;
        const delay = backoffDelay(attempt, this.deps.retry, this.deps.random, e.code === 'network');
        this.deps.log.warn('imageio request failed; retrying', { server: this.endpoint.display, what, attempt, delayMs: delay, error: e.message });
        await this.deps.sleep(delay, signal);
      }
    }
  }
}
