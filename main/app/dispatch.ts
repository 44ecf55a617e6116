/**
 * One invoke, the same way in every host: parse the payload with its channel's schema, call the
 * handler, and wrap the answer (or the error) in the Result envelope. Nothing thrown escapes.
 */
import type { z } from 'zod';
import { fail, ok, type Result } from '../../shared/errors.js';
import { IPC, type InvokeChannel, type InvokeResponse, type ParsedRequest } from '../../shared/ipc.js';
import { asDiskFerryError } from '../engine/errors.js';
import type { Log } from '../engine/log.js';

/**
 * A handler per invoke channel of the contract: the parsed request in, the response out. Where the
 * map is written (AppCore), a missing or extra channel, or a wrong request or response, is a type error.
 */
export type InvokeHandlers = { readonly [C in InvokeChannel]: (request: ParsedRequest<C>) => Promise<InvokeResponse<C>> | InvokeResponse<C> };

/** The contract's request schemas seen channel by channel, so a channel's schema and its handler stay paired for the compiler. */
const REQUESTS: { readonly [C in InvokeChannel]: { readonly request: z.ZodType<ParsedRequest<C>> } } = IPC.invoke;

/** True for a known invoke channel name. */
export function isInvokeChannel(name: unknown): name is InvokeChannel {
  return typeof name === 'string' && Object.hasOwn(IPC.invoke, name);
}

/** The first schema problem in words, without echoing the payload (it may hold a password). */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'The request is not valid.';
  // Names from the request are echoed only when short, and unknown keys not at all: the text goes
  // back to the window and into logs, so it must not carry whatever a broken caller sent.
  const where = issue.path.length > 0 ? issue.path.map((p) => (String(p).length <= 40 ? String(p) : '…')).join('.') : 'the request';
  const what = issue.code === 'unrecognized_keys' ? 'unexpected fields' : issue.message;
  return `Invalid ${where}: ${what}.`;
}

/** Runs one invoke of a known channel; always resolves with a Result. */
async function run<C extends InvokeChannel>(handlers: InvokeHandlers, channel: C, payload: unknown, log: Log): Promise<Result<InvokeResponse<C>>> {
  const parsed = REQUESTS[channel].request.safeParse(payload);
  if (!parsed.success) return fail({ code: 'bad-input', message: describeIssue(parsed.error), retryable: false });
  try {
    const handler: (request: ParsedRequest<C>) => Promise<InvokeResponse<C>> | InvokeResponse<C> = handlers[channel];
    return ok(await handler(parsed.data));
  } catch (err) {
    const e = asDiskFerryError(err);
    if (e.code === 'internal') log.error('request failed', { channel, error: e.message, stack: err instanceof Error ? err.stack : undefined });
    else log.info('request refused', { channel, code: e.code, error: e.message });
    return fail(e.toInfo());
  }
}

/** Runs one invoke; always resolves with a Result. */
export function dispatch(handlers: InvokeHandlers, channel: unknown, payload: unknown, log: Log): Promise<Result<unknown>> {
  if (!isInvokeChannel(channel)) return Promise.resolve(fail({ code: 'bad-input', message: 'Unknown request.', retryable: false }));
  return run(handlers, channel, payload, log);
}
