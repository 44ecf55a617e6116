import { ZERO_STEP } from './backends.js';
import type { Exchange, ImageioPersonality } from './context.js';
import { allowCors, expireTicketIfArmed, readWholeBody, takeFailFlush } from './exchange-io.js';
import { checkAllowedRange, HttpError, SERVER_FAILED } from './http-errors.js';
import { OperationCanceled, openSessionOrDeny, runOperation } from './session.js';
import { validateBoolean, validateEnum, validateInteger } from './validate.js';
import { errorMessage } from '../../engine/errors.js';

/** json.loads with Python's message for the common empty-body case. */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') throw new Error(`Expecting value: line 1 column ${text.length + 1} (char ${text.length})`);
  return JSON.parse(text) as unknown;
}

/** PATCH /images/{id}: `zero` and `flush` (images.py::patch). The body is read before authorization. */
export async function patchImage(ex: Exchange, id: string): Promise<void> {
  if (!id) throw new HttpError(400, 'Ticket id is required');
  let msg: unknown;
  try {
    msg = parseJsonBody(await readWholeBody(ex));
  } catch (e) {
    throw new HttpError(400, `Invalid JSON message ${errorMessage(e)}`);
  }
  // Python indexes the decoded value with ["op"]: anything but a dict is a TypeError, masked as 500.
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new TypeError('PATCH body is not a JSON object');
  const fields = msg as Record<string, unknown>;
  const op = validateEnum(fields, 'op', ['zero', 'flush']);
  if (op === 'zero') await zero(ex, id, fields);
  else await flush(ex, id);
}

async function zero(ex: Exchange, id: string, msg: Record<string, unknown>): Promise<void> {
  const size = validateInteger(msg, 'size', 0);
  const offset = validateInteger(msg, 'offset', 0, 0);
  const flushAfter = validateBoolean(msg, 'flush');
  expireTicketIfArmed(ex, id);
  const session = openSessionOrDeny(ex, id, 'write');
  checkAllowedRange(offset, size, session.ticket.size);
  await runOperation(ex, session, offset, async (run) => {
    for (let done = 0; done < size; ) {
      const step = Math.min(ZERO_STEP, size - done);
      await session.backend.zero(offset + done, step);
      done += step;
      run.advance(step);
      if (run.canceled) throw new OperationCanceled();
    }
    if (flushAfter) await session.backend.flush();
  });
}

async function flush(ex: Exchange, id: string): Promise<void> {
  expireTicketIfArmed(ex, id);
  const session = openSessionOrDeny(ex, id, 'write');
  if (takeFailFlush(ex)) throw new HttpError(500, SERVER_FAILED);
  await runOperation(ex, session, 0, () => session.backend.flush());
}

const BASE_FEATURES = ['checksum', 'extents'];
const WRITE_FEATURES = ['flush', 'zero'];

function features(personality: ImageioPersonality, writable: boolean): string[] {
  const base = personality.checksum ? BASE_FEATURES : BASE_FEATURES.filter((f) => f !== 'checksum');
  return writable ? [...base, ...WRITE_FEATURES] : base;
}

/** OPTIONS /images/{id} and /images/*: capabilities (images.py::options), or a legacy 204. */
export async function optionsImage(ex: Exchange, id: string): Promise<void> {
  const { res, server } = ex;
  allowCors(ex, 'OPTIONS,GET,PUT');
  if (!id) throw new HttpError(400, 'Ticket id is required');
  if (server.personality.legacyOptions === 204) {
    // The pre-2.0 proxy answered OPTIONS with no content at all.
    res.status = 204;
    return;
  }
  const options: Record<string, unknown> = {};
  let allow: string[];
  if (id === '*') {
    allow = ['OPTIONS', 'GET', 'PUT', 'PATCH'];
    options['features'] = features(server.personality, true);
  } else {
    const session = openSessionOrDeny(ex, id, 'read');
    // Asking for the options of a ticket counts as client activity.
    session.ticket.touch();
    session.upstream?.touch();
    allow = ['OPTIONS'];
    if (session.ticket.may('read')) {
      allow.push('GET');
      options['features'] = features(server.personality, false);
    }
    if (session.ticket.may('write')) {
      allow.push('PUT', 'PATCH');
      options['features'] = features(server.personality, true);
    }
    if (server.personality.maxConnections) {
      options['max_readers'] = session.maxReaders;
      options['max_writers'] = session.maxWriters;
    }
  }
  res.headers.set('allow', allow.join(','));
  await res.sendJson(options);
}
