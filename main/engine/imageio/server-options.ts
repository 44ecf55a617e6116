import { DiskFerryError } from '../errors.js';
import type { ExchangeResult } from './exchange.js';

/** What a data server can do, from `OPTIONS /images/{ticket}` (reference/imageio.md §3). */
export interface ImageioFeatures {
  /** `GET /extents` exists. */
  readonly extents: boolean;
  /** `PATCH {"op":"zero"}` exists. */
  readonly zero: boolean;
  /** The client controls flushing (`?flush=n`, `PATCH {"op":"flush"}`); without it every PUT flushes. */
  readonly flush: boolean;
  /** `GET /checksum` exists. */
  readonly checksum: boolean;
}

/** The parsed OPTIONS answer. */
export interface ServerOptions {
  /** An old daemon (405) or old proxy (204): GET and PUT only, one connection. */
  readonly legacy: boolean;
  readonly features: ImageioFeatures;
  readonly maxReaders: number;
  readonly maxWriters: number;
}

const NO_FEATURES: ImageioFeatures = { extents: false, zero: false, flush: false, checksum: false };

/** Workers are never more than this, whatever the server advertises. */
export const MAX_WORKERS = 8;

function limit(value: unknown): number {
  // Absent or odd values mean 1: an old server might corrupt data with several writers.
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? Math.min(value, MAX_WORKERS) : 1;
}

/**
 * Parses an OPTIONS response (status 200, 204 or 405). 405 and 204 mean a legacy server. A 200
 * whose body is not a JSON object is refused (`protocol`): the reference client reads it as "no
 * features", but no imageio answers so, and a web server or portal that answers 200 to everything
 * would then "accept" a whole upload. Unknown features are ignored.
 */
export function parseServerOptions(res: Pick<ExchangeResult, 'status' | 'body'>, where = 'The data server'): ServerOptions {
  if (res.status === 405 || res.status === 204) return { legacy: true, features: NO_FEATURES, maxReaders: 1, maxWriters: 1 };
  let json: unknown;
  try {
    json = JSON.parse(res.body.toString('utf8'));
  } catch {
    json = null;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new DiskFerryError(
      'protocol',
      `${where} answered OPTIONS with something that is not imageio's JSON. Check that the engine's transfer_url and proxy_url point at ovirt-imageio itself, not at a web server or proxy in front of it.`,
      { retryable: false },
    );
  const o = json as Record<string, unknown>;
  const list = Array.isArray(o['features']) ? (o['features'] as unknown[]) : [];
  const has = (name: string) => list.includes(name);
  return {
    legacy: false,
    features: { extents: has('extents'), zero: has('zero'), flush: has('flush'), checksum: has('checksum') },
    maxReaders: limit(o['max_readers']),
    maxWriters: limit(o['max_writers']),
  };
}
