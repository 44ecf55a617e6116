import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '../../engine/errors.js';

/** A REST failure: a status and a fault body, or no body at all (404 on an unknown id). */
export class ApiError extends Error {
  readonly status: number;
  readonly body: Record<string, string> | null;

  constructor(status: number, body: Record<string, string> | null) {
    super(body ? `${status} ${body['reason']}: ${body['detail']}` : `${status}`);
    this.status = status;
    this.body = body;
  }
}

/** An engine validation failure: `{"reason": "Operation Failed", "detail": "[msg, msg]"}` (reference/engine.md §2.4). */
export function operationFailed(status: number, ...messages: string[]): ApiError {
  return new ApiError(status, { reason: 'Operation Failed', detail: `[${messages.join(', ')}]` });
}

/** REST-layer missing fields: 400 `Incomplete parameters`, e.g. `Disk [provisionedSize, format] required for add`. */
export function incompleteParameters(entity: string, fields: string[], action = 'add'): ApiError {
  return new ApiError(400, { reason: 'Incomplete parameters', detail: `${entity} [${fields.join(', ')}] required for ${action}` });
}

/** A value the REST layer cannot map (bad enum, number or boolean). */
function invalidValue(value: unknown, typeName: string, allowed?: readonly string[]): ApiError {
  const possible = allowed ? ` Possible values for ${typeName} are: ${allowed.join(', ')}` : '';
  return new ApiError(400, { reason: 'Invalid value', detail: `'${String(value)}' is not a valid value for ${typeName}.${possible}` });
}

/** 404 with an empty body, what the engine answers for an unknown id. */
export function notFound(): ApiError {
  return new ApiError(404, null);
}

/** Sends a JSON body with the engine's content type. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Sends a status with no body (content-length 0). */
export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-length': '0', ...headers });
  res.end();
}

/** Sends a small text or HTML body (servlet error pages, PEM). */
export function sendText(res: ServerResponse, status: number, contentType: string, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Sends an ApiError as the engine would. */
export function sendError(res: ServerResponse, err: ApiError): void {
  if (err.body === null) sendEmpty(res, err.status);
  else sendJson(res, err.status, err.body);
}

const MAX_BODY = 1024 * 1024;

/** Reads a whole (small) request body. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY) throw new ApiError(413, { reason: 'Operation Failed', detail: 'Request body too large' });
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON object body; an empty body is `{}`. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = (await readBody(req)).toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, { reason: 'Operation Failed', detail: `Cannot parse the request body as JSON: ${errorMessage(err)}` });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, { reason: 'Operation Failed', detail: 'The request body must be a JSON object' });
  }
  return value as Record<string, unknown>;
}

/** An input integer: a JSON number or a numeric string (the adapters coerce both). */
export function inputInt(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw invalidValue(value, `integer (${field})`);
  return n;
}

/** An input boolean: true/false in any case, as JSON or string, or 0/1 (A01-PrimitiveTypes.adoc). */
export function inputBool(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  const s = String(value).trim().toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  throw invalidValue(value, `boolean (${field})`);
}

/** An input enum, matched case-insensitively like the JAXB enum adapters. */
export function inputEnum<T extends string>(value: unknown, typeName: string, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === null) return undefined;
  const s = String(value).toLowerCase();
  const hit = allowed.find((a) => a === s);
  if (hit === undefined) throw invalidValue(value, typeName, allowed);
  return hit;
}

/** An input string field (numbers are accepted and stringified). */
export function inputString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A reference `{id}` / `{name}` to another entity, if the body names one. */
export function inputRef(value: unknown): { id?: string; name?: string } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  const id = inputString(o['id']);
  const name = inputString(o['name']);
  if (id === undefined && name === undefined) return undefined;
  return { ...(id !== undefined ? { id } : {}), ...(name !== undefined ? { name } : {}) };
}

/** What an API handler answers; the router writes it (a null body is sent as an empty body). */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

/** One parsed /api request, as API handlers see it. */
export interface ApiRequest {
  readonly method: string;
  /** Path parameters named in the route (`:id`, `:sd`, `:action`). */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** The JSON object body (`{}` when empty). */
  json(): Promise<Record<string, unknown>>;
}

/** A 200 reply. */
export function ok(body: unknown): Reply {
  return { status: 200, body };
}
