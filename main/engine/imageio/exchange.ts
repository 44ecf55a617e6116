import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { PaceWindow } from '../pace.js';
import type { DirectReadHandler, RequestDispatcher } from './http/socket-dispatcher.js';
import { cancelledError } from './retry.js';

/** One HTTP request for exchange(). */
export interface ExchangeRequest {
  readonly method: 'GET' | 'PUT' | 'PATCH' | 'OPTIONS';
  readonly path: string;
  readonly headers: Record<string, string>;
  /** A Buffer is written together with the headers in one write; an async iterable is streamed. */
  readonly body?: Buffer | AsyncIterable<Uint8Array> | null;
  /** Longest wait for the response headers (it restarts while the body is being sent). */
  readonly headersTimeout: number;
  /** Longest gap between two body chunks of the response. */
  readonly bodyTimeout: number;
  readonly signal: AbortSignal;
}

/** The status line and headers of a response. */
export interface ResponseHead {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

/**
 * Receives a response body as it arrives. `accept` decides per response: true streams the body to
 * `onData` (for data transfers), false collects it (for error texts). `onData` may return a promise
 * to apply backpressure; the request is paused until it settles. `chunk` stays valid until onData
 * returns or, when it returned a promise, until that settles. Throwing aborts the request.
 */
export interface BodyReceiver {
  accept(head: ResponseHead): boolean;
  onData(chunk: Buffer): void | Promise<void>;
  /**
   * Optional, for a dispatcher that can read into the receiver's memory (SocketDispatcher): free
   * space, at most `max` bytes, where the next body bytes may be read directly; null when there is none now.
   */
  window?(max: number): Buffer | null;
  /** After `n` bytes were read into the start of the last window: accounts for them as onData would. */
  commit?(n: number): void | Promise<void>;
}

/** A complete response: the head plus the collected body (empty when it was streamed). */
export interface ExchangeResult extends ResponseHead {
  readonly body: Buffer;
}

/**
 * Sends one request on a dispatcher and resolves with the response: the one request driver of the
 * data plane, over undici's Client or the SocketDispatcher of ranged GETs. It owns what both share:
 * settling once, the AbortSignal, the pace rule (main/engine/pace.ts) and backpressure (pause the
 * dispatcher while the receiver is busy). Collected bodies are limited to `collectLimit` bytes (a
 * longer one is cut there and its connection closed). With `headOnly`, a 200 response is cut after
 * its headers, which closes that connection (the way the reference client learns a legacy server's
 * size without downloading the image); other answers are collected as usual so their error text survives.
 */
export function exchange(
  dispatcher: RequestDispatcher,
  req: ExchangeRequest,
  options: { receiver?: BodyReceiver; collectLimit?: number; headOnly?: boolean } = {},
): Promise<ExchangeResult> {
  const collectLimit = options.collectLimit ?? 1024 * 1024;
  const receiver = options.receiver;
  return new Promise<ExchangeResult>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | null = null;
    let head: ResponseHead | null = null;
    let streaming = false;
    let chunks: Buffer[] = [];
    let collected = 0;
    let waiting = false;
    let ended = false;
    let settled = false;
    // The pace rule: a server must bring MIN_BYTES_PER_READ_WINDOW per read timeout once its head came.
    const pace = new PaceWindow(req.bodyTimeout);

    const settle = (err: unknown, result?: ExchangeResult) => {
      if (settled) return;
      settled = true;
      req.signal.removeEventListener('abort', onAbort);
      if (err === undefined && result) resolve(result);
      else reject(err);
    };
    const abortWith = (err: unknown) => {
      settle(err);
      controller?.abort(err instanceof Error ? err : new Error(String(err)));
    };
    const onAbort = () => abortWith(cancelledError());
    const finish = () => {
      if (!head) return settle(new Error('response ended without headers'));
      settle(undefined, { ...head, body: streaming ? Buffer.alloc(0) : Buffer.concat(chunks, collected) });
      chunks = [];
    };
    /** Counts `n` body bytes against the pace; false (and the request aborted) when it failed. */
    const paced = (n: number): boolean => {
      const slow = pace.count(n);
      if (slow) abortWith(Object.assign(new Error(`the server sent only ${slow.bytes} bytes in ${(slow.elapsedMs / 1000).toFixed(1)} s`), { code: 'UND_ERR_BODY_TIMEOUT' }));
      return !slow;
    };
    /** Waits for the receiver with the dispatcher paused; our own wait does not count against the server's pace. */
    const backpressure = (ctrl: Dispatcher.DispatchController, result: void | Promise<void>) => {
      if (!result) return;
      waiting = true;
      ctrl.pause();
      result.then(
        () => {
          waiting = false;
          pace.restart();
          if (ended) finish();
          else if (!settled) ctrl.resume();
        },
        (err: unknown) => abortWith(err),
      );
    };

    const handler: DirectReadHandler = {
      onRequestStart(ctrl) {
        controller = ctrl;
        if (settled) ctrl.abort(cancelledError());
      },
      onResponseStart(ctrl, status, headers) {
        if (status < 200) return;
        head = { status, headers };
        // The pace counts from the head: sending the request and the server's work before it are not the body's.
        pace.restart();
        if (options.headOnly && status === 200) {
          settle(undefined, { ...head, body: Buffer.alloc(0) });
          ctrl.abort(new Error('response cut after its headers'));
          return;
        }
        try {
          streaming = receiver?.accept(head) ?? false;
        } catch (err) {
          abortWith(err);
        }
      },
      onResponseData(ctrl, chunk) {
        if (settled || !paced(chunk.length)) return;
        if (!streaming) {
          const part = chunk.subarray(0, collectLimit - collected);
          chunks.push(Buffer.from(part)); // the dispatcher's chunk is not ours to keep
          collected += part.length;
          // Past the limit the answer is cut, not drained: a hostile endless body would stall the request forever.
          if (part.length < chunk.length) {
            finish();
            ctrl.abort(new Error('answer cut at the collect limit'));
          }
          return;
        }
        try {
          backpressure(ctrl, receiver!.onData(chunk));
        } catch (err) {
          abortWith(err);
        }
      },
      onResponseEnd() {
        // Neither dispatcher ends an answer while paused; should one, the receiver's wait still comes first.
        ended = true;
        if (!waiting) finish();
      },
      onResponseError(_ctrl, err) {
        settle(err);
      },
    };
    if (receiver?.window && receiver.commit) {
      const { window, commit } = receiver;
      handler.onResponseWindow = (max) => (streaming && !settled && !waiting ? window.call(receiver, max) : null);
      handler.onResponseDataRead = (ctrl, n) => {
        if (settled || !paced(n)) return;
        try {
          backpressure(ctrl, commit.call(receiver, n));
        } catch (err) {
          abortWith(err);
        }
      };
    }

    if (req.signal.aborted) return reject(cancelledError());
    req.signal.addEventListener('abort', onAbort, { once: true });
    dispatcher.dispatch(
      {
        method: req.method,
        path: req.path,
        headers: req.headers,
        // undici streams any async iterable; its types only list Readable.
        body: (req.body ?? null) as Dispatcher.DispatchOptions['body'],
        headersTimeout: req.headersTimeout,
        bodyTimeout: req.bodyTimeout,
      },
      handler,
    );
  });
}
