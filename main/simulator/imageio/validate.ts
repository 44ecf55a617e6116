import { HttpError } from './http-errors.js';
import { pyRepr } from './python-format.js';

/** A parsed `Range: bytes=first-last` header; first < 0 is the (unsupported) suffix form. */
export interface ByteRangeSpec {
  readonly first: number;
  readonly last: number | null;
}

/** http.py::Range.parse: exactly one `bytes=a-b` or `bytes=a-`, anything else is 416. */
export function parseRange(header: string): ByteRangeSpec {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header);
  if (!m) throw new HttpError(416, `Cannot satisfy range ${pyRepr(header)}, invalid range or multiple ranges`);
  const [, first, last] = m as unknown as [string, string, string];
  if (!first) {
    if (!last) throw new HttpError(416, `Cannot satisfy range ${pyRepr(header)}, no first or last`);
    return { first: -Number(last), last: null };
  }
  if (!last) return { first: Number(first), last: null };
  if (Number(first) > Number(last)) throw new HttpError(416, `Cannot satisfy range ${pyRepr(header)}, first > last`);
  return { first: Number(first), last: Number(last) };
}

/** A parsed PUT `Content-Range: bytes first-last/complete`, where last and complete may be `*`. */
export interface ContentRangeSpec {
  readonly first: number;
  readonly last: number | null;
  readonly complete: number | null;
}

/** http.py::ContentRange.parse: the permissive grammar; only `first` is ever used. */
export function parseContentRange(header: string): ContentRangeSpec {
  const m = /^bytes (\d+)-(\d+|\*)\/(\d+|\*)$/.exec(header);
  if (!m) throw new HttpError(400, `Invalid Content-Range ${pyRepr(header)}`);
  const [, f, l, c] = m as unknown as [string, string, string, string];
  const first = Number(f);
  const last = l === '*' ? null : Number(l);
  if (last !== null && last < first) throw new HttpError(400, `Invalid Content-Range ${pyRepr(header)}, first > last`);
  const complete = c === '*' ? null : Number(c);
  if (complete !== null && last !== null && last >= complete) {
    throw new HttpError(400, `Invalid Content-Range ${pyRepr(header)}, last >= complete`);
  }
  return { first, last, complete };
}

type Dict = Record<string, unknown> | ReadonlyMap<string, string>;

function lookup(d: Dict, name: string): { found: boolean; value: unknown } {
  if (d instanceof Map) return { found: d.has(name), value: d.get(name) };
  const o = d as Record<string, unknown>;
  return { found: Object.prototype.hasOwnProperty.call(o, name), value: o[name] };
}

/** validate.enum: a value from a fixed set; the 400 message lists the sorted choices. */
export function validateEnum<T extends string>(d: Dict, name: string, values: readonly T[], fallback?: T): T {
  const { found, value } = lookup(d, name);
  if (!found) {
    if (fallback !== undefined) return fallback;
    throw new HttpError(400, `Missing required value for ${name}`);
  }
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
    const sorted = [...values].sort();
    throw new HttpError(400, `Unsupported value ${pyRepr(value)} for ${pyRepr(name)}, expecting one of ${pyRepr(sorted)}`);
  }
  return value as T;
}

/** validate.integer: a JSON int (Python bools count as ints) with an optional minimum. */
export function validateInteger(d: Record<string, unknown>, name: string, minval: number, fallback?: number): number {
  if (!Object.prototype.hasOwnProperty.call(d, name)) {
    if (fallback !== undefined) return fallback;
    throw new HttpError(400, `Missing required value for ${pyRepr(name)}`);
  }
  const raw = d[name];
  const value = typeof raw === 'boolean' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new HttpError(400, `Integer required ${pyRepr(raw)}`);
  if (value < minval) throw new HttpError(400, `Invalid value ${value} < ${minval}`);
  return value;
}

/** validate.boolean: a JSON boolean, default false. */
export function validateBoolean(d: Record<string, unknown>, name: string): boolean {
  if (!Object.prototype.hasOwnProperty.call(d, name)) return false;
  const value = d[name];
  if (typeof value !== 'boolean') throw new HttpError(400, `Boolean required ${pyRepr(value)}`);
  return value;
}
