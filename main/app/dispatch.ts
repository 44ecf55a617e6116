/**
 * One invoke, the same way in every host: parse the payload with its channel's schema, call the
 * handler, and wrap the answer (or the error) in the Result envelope. Nothing thrown escapes.
 */
import type { z } from 'zod';
import { fail, ok, type Result } from '../../shared/errors.js';
import { INVOKE_CHANNELS, type InvokeChannel, type InvokeChannels } from '../../shared/ipc.js';
import { INVOKE_SCHEMAS } from '../../shared/schemas/index.js';
import { asDiskFerryError } from '../engine/errors.js';
import type { Log } from '../engine/log.js';

/** A handler per invoke channel: the parsed request in, the response out. */
export type InvokeHandlers = { readonly [C in InvokeChannel]: (request: InvokeChannels[C]['request']) => Promise<InvokeChannels[C]['response']> | InvokeChannels[C]['response'] };

/** True for a known invoke channel name. */
export function isInvokeChannel(name: unknown): name is InvokeChannel {
  return typeof name === 'string' && (INVOKE_CHANNELS as readonly string[]).includes(name);
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

/** Runs one invoke; always resolves with a Result. */
export async function dispatch(handlers: InvokeHandlers, channel: unknown, payload: unknown, log: Log): Promise<Result<unknown>> {
  if (!isInvokeChannel(channel)) return fail({ code: 'bad-input', message: 'Unknown request.', retryable: false });
  const parsed = INVOKE_SCHEMAS[channel].request.safeParse(payload);
  if (!parsed.success) return fail({ code: 'bad-input', message: describeIssue(parsed.error), retryable: false });
  try {
    const handler = handlers[channel] as (request: unknown) => unknown;
    return ok(await handler(parsed.data));
  } catch (err) {
    const e = asDiskFerryError(err);
    if (e.code === 'internal') log.error('request failed', { channel, error: e.message, stack: err instanceof Error ? err.stack : undefined });
    else log.info('request refused', { channel, code: e.code, error: e.message });
    return fail(e.toInfo());
  }
}

