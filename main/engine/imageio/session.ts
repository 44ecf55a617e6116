import { z } from 'zod';
import { DiskFerryError, errorMessage } from '../errors.js';
import type { Log } from '../log.js';
import { tlsConnectOptions, type TrustSettings } from '../trust/tls.js';
import { describeProxy, type ProxyResolver } from '../net/proxy.js';
import { BROKEN_SERVER_HINT } from './http-errors.js';
import {
  DEFAULT_TIMEOUTS,
  ImageioConnection,
  type ConnectionDeps,
  type ImageioEndpoint,
  type ImageioTimeouts,
  type RangedGetDispatcher,
} from './connection.js';
import { parseServerOptions, type ImageioFeatures, type ServerOptions } from './server-options.js';
import { DEFAULT_RETRY_POLICY, backoffDelay, cancelledError, timerSleep, type RetryPolicy, type Sleep } from './retry.js';

/** One extent of the image as imageio reports it (`zero` context; `dirty` only for the dirty context). */
export interface ImageExtent {
  readonly start: number;
  readonly length: number;
  readonly zero: boolean;
  readonly hole: boolean;
  readonly dirty?: boolean;
}

/** The answer of `GET /checksum`. */
export interface ImageChecksum {
  readonly algorithm: string;
  readonly blockSize: number;
  readonly checksum: string;
}

/** How to open a data-plane session for one transfer. */
export interface OpenImageioOptions {
  /** The host daemon URL (`…:54322/images/<ticket>`), absent on old engines. */
  readonly transferUrl: string | null;
  /** The engine proxy URL (`…:54323/images/<ticket>`). */
  readonly proxyUrl: string | null;
  /** Engine 4.1 only: sent as `Authorization` to the proxy. */
  readonly signedTicket?: string | null;
  readonly trust: TrustSettings;
  /** Try the proxy first (the daemon stays the fallback). */
  readonly preferProxy?: boolean;
  readonly log: Log;
  readonly signal: AbortSignal;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  readonly retry?: RetryPolicy;
  readonly timeouts?: Partial<ImageioTimeouts>;
  /** Which dispatcher carries ranged GETs (default `socket`); hosts read `DISKFERRY_RANGED_GETS` with rangedGetDispatcherFrom. */
  readonly rangedGets?: RangedGetDispatcher;
  /** The HTTP proxy for each data server address (asked once per address); direct when absent. */
  readonly proxy?: ProxyResolver;
}

const extentSchema = z.array(
  z.object({
    start: z.number().int().nonnegative(),
    length: z.number().int().nonnegative(),
    zero: z.boolean().optional(),
    hole: z.boolean().optional(),
    dirty: z.boolean().optional(),
  }),
);

const checksumSchema = z.object({ algorithm: z.string(), block_size: z.number().int().positive(), checksum: z.string().regex(/^[0-9a-f]+$/) });

function endpointFor(url: string, viaProxy: boolean, signedTicket: string | null): ImageioEndpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new DiskFerryError('protocol', `The engine gave an invalid data server address for the ${viaProxy ? 'proxy' : 'host'}.`, { cause: err, retryable: false });
  }
  const m = /^\/images\/([^/]+)$/.exec(u.pathname);
  if (u.protocol !== 'https:' || !m)
    throw new DiskFerryError('protocol', `The engine gave an unexpected data server address on ${u.host}; expected https://host:port/images/<ticket>. Check the engine's imageio configuration with your administrator.`, {
      retryable: false,
    });
  const secrets = [decodeURIComponent(m[1]!), m[1]!];
  if (signedTicket) secrets.push(signedTicket);
  return {
    origin: u.origin,
    path: u.pathname,
    display: `${u.host} (${viaProxy ? 'proxy' : 'direct'})`,
    viaProxy,
    secrets,
    authorization: viaProxy && signedTicket ? signedTicket : null,
  };
}

/**
 * Opens the data plane of a transfer: OPTIONS on `transfer_url` (10 s connect timeout), falling back
 * to `proxy_url` only when the daemon cannot be reached at the network or TLS level. An HTTP error
 * (403, …) is thrown as is: the proxy would serve the same ticket.
 */
export async function openImageio(options: OpenImageioOptions): Promise<ImageioSession> {
  const deps: ConnectionDeps = {
    tls: tlsConnectOptions(options.trust),
    log: options.log,
    sleep: options.sleep ?? timerSleep,
    random: options.random ?? Math.random,
    retry: options.retry ?? DEFAULT_RETRY_POLICY,
    timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
    rangedGets: options.rangedGets ?? 'socket',
  };
  const signed = options.signedTicket ?? null;
  const candidates: ImageioEndpoint[] = [];
  if (options.transferUrl) candidates.push(endpointFor(options.transferUrl, false, signed));
  if (options.proxyUrl) candidates.push(endpointFor(options.proxyUrl, true, signed));
  if (options.preferProxy) candidates.reverse();
  if (candidates.length === 0) throw new DiskFerryError('protocol', 'The engine gave no data server address for this transfer.', { retryable: false });

  let lastError: unknown;
  for (const direct of candidates) {
    let endpoint = direct;
    let control: ImageioConnection | null = null;
    try {
      const httpProxy = options.proxy ? await options.proxy(new URL(direct.origin)) : null;
      endpoint = httpProxy ? { ...direct, httpProxy, display: `${direct.display} via ${describeProxy(httpProxy)}` } : direct;
      control = new ImageioConnection(endpoint, deps);
      const parsed = parseServerOptions(await control.options(options.signal, 1), `The data server on ${endpoint.display}`);
      options.log.info('imageio: connected', { server: endpoint.display, legacy: parsed.legacy, ...parsed.features, maxReaders: parsed.maxReaders, maxWriters: parsed.maxWriters });
      return new ImageioSession(endpoint, parsed, control, deps);
    } catch (err) {
      await control?.close();
      if (options.signal.aborted) throw cancelledError();
      const code = err instanceof DiskFerryError ? err.code : null;
      if (code !== 'network' && code !== 'tls-untrusted') throw err;
      lastError = err;
      options.log.warn('imageio: server unreachable', { server: endpoint.display, error: errorMessage(err) });
    }
  }
  throw lastError;
}

/** An open data-plane session: the server's capabilities, a control connection, and a factory of worker connections. */
export class ImageioSession {
  /** Display form: `host:port (direct)` or `host:port (proxy)`; never the ticket. */
  readonly url: string;
  readonly viaProxy: boolean;
  readonly legacy: boolean;
  readonly features: ImageioFeatures;
  readonly maxReaders: number;
  readonly maxWriters: number;

  constructor(
    private readonly endpoint: ImageioEndpoint,
    options: ServerOptions,
    private readonly control: ImageioConnection,
    private readonly deps: ConnectionDeps,
  ) {
    this.url = endpoint.display;
    this.viaProxy = endpoint.viaProxy;
    this.legacy = options.legacy;
    this.features = options.features;
    this.maxReaders = options.maxReaders;
    this.maxWriters = options.maxWriters;
  }

  /** A new worker connection (its own socket). The caller closes it. */
  connection(): ImageioConnection {
    return new ImageioConnection(this.endpoint, this.deps);
  }

  /** OPTIONS on the ticket: a cheap request that counts as activity, to keep a quiet transfer alive. */
  async options(signal: AbortSignal): Promise<void> {
    await this.control.options(signal);
  }

  /**
   * The image's extents. Without the extents feature (legacy servers), or when the server answers
   * 404 for them (reference/imageio.md §12.6), it is one data extent whose size comes from a GET
   * without Range.
   */
  async extents(signal: AbortSignal, context: 'zero' | 'dirty' = 'zero'): Promise<ImageExtent[]> {
    if (!this.features.extents) return this.withoutExtents(signal, context);
    let json: unknown;
    try {
      json = await this.control.getJson(`/extents?context=${context}`, 'Reading the image extents', signal);
    } catch (err) {
      // imageio answers 404 when this server or backend cannot give extents (an unsupported context,
      // or a daemon behind the proxy without them): the feature is unavailable, not an error.
      if (err instanceof DiskFerryError && err.status === 404) return this.withoutExtents(signal, context);
      throw err;
    }
    const parsed = extentSchema.safeParse(json);
    if (!parsed.success) throw new DiskFerryError('protocol', `The data server on ${this.url} sent malformed extents. ${BROKEN_SERVER_HINT}`, { retryable: false });
    let pos = 0;
    const out: ImageExtent[] = [];
    for (const e of parsed.data) {
      if (e.start !== pos) throw new DiskFerryError('protocol', `The data server on ${this.url} sent extents with a gap or overlap at byte ${pos}. ${BROKEN_SERVER_HINT}`, { retryable: false });
      pos += e.length;
      if (e.length === 0) continue;
      out.push({ start: e.start, length: e.length, zero: e.zero ?? false, hole: e.hole ?? false, ...(e.dirty === undefined ? {} : { dirty: e.dirty }) });
    }
    return out;
  }

  /** Extents of a server that has none: one data extent sized by a GET without Range; no dirty map at all. */
  private async withoutExtents(signal: AbortSignal, context: 'zero' | 'dirty'): Promise<ImageExtent[]> {
    if (context === 'dirty') throw new DiskFerryError('protocol', `The data server on ${this.url} cannot report changed blocks.`, { retryable: false });
    const size = await this.control.sizeFromGet(signal);
    return size > 0 ? [{ start: 0, length: size, zero: false, hole: false }] : [];
  }

  /** The image size: the end of the last extent (no API field carries it). */
  async size(signal: AbortSignal): Promise<number> {
    const extents = await this.extents(signal);
    const last = extents[extents.length - 1];
    return last ? last.start + last.length : 0;
  }

  /** The server's blkhash of the image (reads the whole image; long timeout). */
  async checksum(options: { algorithm?: string; blockSize?: number }, signal: AbortSignal): Promise<ImageChecksum> {
    if (!this.features.checksum)
      throw new DiskFerryError('protocol', `The data server on ${this.url} cannot compute checksums (imageio before 2.0).`, { retryable: false });
    const query = new URLSearchParams();
    if (options.algorithm) query.set('algorithm', options.algorithm);
    if (options.blockSize) query.set('block_size', String(options.blockSize));
    const suffix = `/checksum${query.size > 0 ? `?${query.toString()}` : ''}`;
    const parsed = checksumSchema.safeParse(await this.control.getJson(suffix, 'Computing the image checksum', signal));
    if (!parsed.success) throw new DiskFerryError('protocol', `The data server on ${this.url} sent a malformed checksum. ${BROKEN_SERVER_HINT}`, { retryable: false });
    return { algorithm: parsed.data.algorithm, blockSize: parsed.data.block_size, checksum: parsed.data.checksum };
  }

  /** Waits before repeating work after a server error: capped exponential backoff with jitter. */
  async backoff(attempt: number, signal: AbortSignal): Promise<void> {
    await this.deps.sleep(backoffDelay(attempt, this.deps.retry, this.deps.random, false), signal);
  }

  /** Closes the control connection (worker connections are closed by their owners). */
  async close(): Promise<void> {
    await this.control.close();
  }
}
