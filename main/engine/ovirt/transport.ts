/**
 * One HTTP exchange with the engine through undici: explicit dispatcher, AbortSignal, timeouts,
 * a cap on the answer size, and redirects never followed (undici's `request` does not follow them
 * unless told to, and we never tell it).
 */
import { request, type Dispatcher } from 'undici';
import { asDiskFerryError, DiskFerryError, errorCode } from '../errors.js';
import { MIN_BYTES_PER_READ_WINDOW, PaceWindow } from '../pace.js';
import { cancelledError, isAbort, oversizedError, transportError, type RequestContext } from './engine-errors.js';

/** A complete answer: status, headers and the (capped) body. */
export interface EngineExchange {
  readonly status: number;
  readonly contentType: string | undefined;
  /** The server's `Date` header, when it sent one. */
  readonly date: string | undefined;
  readonly body: Buffer;
}

/** One request. */
export interface ExchangeRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal: AbortSignal;
  /** Waiting for headers, and between body chunks. */
  readonly timeoutMs: number;
  /** Answers longer than this are refused (`protocol`). */
  readonly maxBytes: number;
}

/** Sends the request and reads the whole answer; transport failures become DiskFerryErrors. */
export async function exchange(dispatcher: Dispatcher, req: ExchangeRequest, ctx: RequestContext): Promise<EngineExchange> {
  try {
    const res = await request(req.url, {
      dispatcher,
      method: req.method,
      headers: req.headers,
      body: req.body ?? null,
      signal: req.signal,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > req.maxBytes) {
      res.body.destroy();
      throw oversizedError(req.maxBytes, ctx);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    // The pace rule (main/engine/pace.ts), counted from the head, which request() has just read.
    const pace = new PaceWindow(req.timeoutMs);
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > req.maxBytes) {
        res.body.destroy();
        throw oversizedError(req.maxBytes, ctx);
      }
      chunks.push(buf);
      if (pace.count(buf.length)) {
        res.body.destroy();
        const window = req.timeoutMs >= 1000 ? `${Math.round(req.timeoutMs / 1000)} s` : `${req.timeoutMs} ms`;
        throw Object.assign(new Error(`the answer came slower than ${MIN_BYTES_PER_READ_WINDOW / 1024} KiB in ${window}`), { code: 'UND_ERR_BODY_TIMEOUT' });
      }
    }
    const type = res.headers['content-type'];
    const date = res.headers['date'];
    return { status: res.statusCode, contentType: Array.isArray(type) ? type[0] : type, date: Array.isArray(date) ? date[0] : date, body: Buffer.concat(chunks) };
  } catch (err) {
    if (err instanceof DiskFerryError) throw err;
    if (req.signal.aborted || isAbort(err)) throw cancelledError(ctx.what);
    const code = errorCode(err);
    if (code !== undefined && (code.startsWith('HPE_') || code.startsWith('UND_ERR_RES_')))
      throw new DiskFerryError('protocol', `${ctx.what}: the engine at ${ctx.where} sent a malformed HTTP answer (${code}).`, { cause: err, retryable: false });
    throw transportError(err, ctx) ?? asDiskFerryError(err);
  }
}
