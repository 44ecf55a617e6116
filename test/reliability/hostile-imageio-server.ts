/**
 * A stand-in ovirt-imageio data server for the hostile matrix: it answers OPTIONS, extents, checksum,
 * ranged GETs, PUTs and PATCHes correctly for one in-memory image, except where a case's `hostile`
 * hook takes over a request. Any `/images/<ticket>` path is served, so the engine simulator can hand
 * out its own tickets pointing here (the `dataServerOrigin` fault).
 */
import type { KeyPair } from '../../main/simulator/pki.js';
import { reply, requestBody, requestLine, header, startHostileServer, type HostileServer, type RawRequest } from './hostile-servers.js';

/** Which kind of imageio request arrived. */
export type ImageioRequestKind = 'options' | 'extents' | 'checksum' | 'get' | 'put' | 'patch' | 'other';

/** Handles request number `n` (1-based, per kind) itself and returns true, or returns false for the correct answer. */
export type HostileHook = (req: RawRequest, kind: ImageioRequestKind, n: number) => boolean | Promise<boolean>;

/** The stand-in and what it holds. */
export interface StandInImageio extends HostileServer {
  readonly image: Buffer;
  /** The ticket ids requested, in order (they are secrets: only this server may see them). */
  readonly tickets: string[];
}

const JSON_TYPE = { 'content-type': 'application/json' };

/** Classifies a request line of the imageio API. */
export function kindOf(line: string): ImageioRequestKind {
  const [method = '', target = ''] = line.split(' ');
  const path = target.split('?')[0] ?? '';
  if (method === 'OPTIONS') return 'options';
  if (method === 'GET' && path.endsWith('/extents')) return 'extents';
  if (method === 'GET' && path.endsWith('/checksum')) return 'checksum';
  if (method === 'GET') return 'get';
  if (method === 'PUT') return 'put';
  if (method === 'PATCH') return 'patch';
  return 'other';
}

/** A 206 for `bytes=a-b` of `image`, exactly as imageio sends it. */
export function rangeAnswer(req: RawRequest, image: Buffer): void {
  const m = /^bytes=(\d+)-(\d+)$/.exec(header(req, 'range') ?? '');
  if (!m) return reply(req.socket, 200, { 'content-type': 'application/octet-stream' }, image);
  const a = Number(m[1]);
  const b = Math.min(Number(m[2]), image.length - 1);
  reply(req.socket, 206, { 'content-type': 'application/octet-stream', 'content-range': `bytes ${a}-${b}/${image.length}` }, image.subarray(a, b + 1));
}

/** Starts the stand-in on 127.0.0.1 with `tls`; `features` is what OPTIONS advertises. */
export async function startStandInImageio(
  tls: KeyPair,
  image: Buffer,
  options: { hostile?: HostileHook; features?: readonly string[] } = {},
): Promise<StandInImageio> {
  const counts = new Map<ImageioRequestKind, number>();
  const tickets: string[] = [];
  const features = options.features ?? ['extents', 'zero', 'flush'];
  const server = await startHostileServer(tls, async (req) => {
    const line = requestLine(req);
    const kind = kindOf(line);
    const n = (counts.get(kind) ?? 0) + 1;
    counts.set(kind, n);
    const ticket = /\/images\/([^/? ]+)/.exec(line)?.[1];
    if (ticket) tickets.push(ticket);
    if (options.hostile && (await options.hostile(req, kind, n))) return;
    switch (kind) {
      case 'options':
        return reply(req.socket, 200, JSON_TYPE, JSON.stringify({ features, max_readers: 2, max_writers: 2 }));
      case 'extents':
        return reply(req.socket, 200, JSON_TYPE, JSON.stringify([{ start: 0, length: image.length, zero: false, hole: false }]));
      case 'checksum':
        return reply(req.socket, 200, JSON_TYPE, JSON.stringify({ algorithm: 'blake2b', block_size: 4194304, checksum: 'ab'.repeat(32) }));
      case 'get':
        return rangeAnswer(req, image);
      case 'put': {
        const body = await requestBody(req);
        const at = Number(/^bytes (\d+)-/.exec(header(req, 'content-range') ?? '')?.[1] ?? 0);
        body.copy(image, at);
        return reply(req.socket, 200, {});
      }
      case 'patch':
        await requestBody(req);
        return reply(req.socket, 200, {});
      default:
        return reply(req.socket, 405, {}, 'Invalid method');
    }
  });
  return Object.assign(server, { image, tickets });
}
