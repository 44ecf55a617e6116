import { randomFillSync } from 'node:crypto';
import type { RangeSource } from '../../../main/engine/imageio/put-body.js';
import type { PlanExtent } from '../../../main/engine/imageio/plan.js';
import { DEFAULT_TIMEOUTS, ImageioConnection, type ConnectionDeps } from '../../../main/engine/imageio/connection.js';
import type { ServerOptions } from '../../../main/engine/imageio/server-options.js';
import { ImageioSession } from '../../../main/engine/imageio/session.js';
import { createLog, silentLog, type Log } from '../../../main/engine/log.js';
import { startRawServer, type RawRequest } from './raw-server.js';

export const MiB = 1024 * 1024;

/** A buffer with random data in the `data` runs and zeros elsewhere, plus its extents. */
export function makeImage(size: number, dataRuns: Array<[number, number]>): { bytes: Buffer; extents: PlanExtent[] } {
  const bytes = Buffer.alloc(size);
  const extents: PlanExtent[] = [];
  let pos = 0;
  for (const [start, length] of dataRuns) {
    randomFillSync(bytes, start, length);
    if (start > pos) extents.push({ start: pos, length: start - pos, zero: true });
    extents.push({ start, length, zero: false });
    pos = start + length;
  }
  if (pos < size) extents.push({ start: pos, length: size - pos, zero: true });
  return { bytes, extents };
}

/** A RangeSource over a buffer that records every read. */
export function bufferSource(bytes: Buffer): RangeSource & { reads: Array<[number, number]> } {
  const reads: Array<[number, number]> = [];
  return {
    reads,
    async read(offset, buffer) {
      reads.push([offset, buffer.length]);
      return bytes.copy(buffer, 0, offset, Math.min(bytes.length, offset + buffer.length));
    },
  };
}

/** A log that keeps its lines, so tests can check that no secret reached it. */
export function memoryLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLog({ level: 'debug', write: (l) => lines.push(l) }), { lines });
}

/** Records the delays asked of the injected sleep and never waits. */
export function instantSleep(): ConnectionDeps['sleep'] & { calls: number[] } {
  const calls: number[] = [];
  return Object.assign(async (ms: number) => void calls.push(ms), { calls });
}

/** A ticket id for scripted servers (must never show up in messages or logs). */
export const SCRIPTED_TICKET = 'c0ffee00-1111-4222-8333-944455556666';

/**
 * An ImageioSession on a scripted plain-TCP server (raw-server.ts) with the given OPTIONS answer,
 * for behaviour the simulator does not offer (a server with zero but no flush, a 404 on extents).
 */
export async function scriptedSession(
  respond: (req: RawRequest) => void | Promise<void>,
  options: ServerOptions = { legacy: false, features: { extents: true, zero: true, flush: true, checksum: true }, maxReaders: 8, maxWriters: 8 },
): Promise<{ server: Awaited<ReturnType<typeof startRawServer>>; session: ImageioSession; close(): Promise<void> }> {
  const server = await startRawServer(respond);
  const endpoint = { origin: server.origin, path: `/images/${SCRIPTED_TICKET}`, display: 'raw (direct)', viaProxy: false, secrets: [SCRIPTED_TICKET], authorization: null };
  const deps: ConnectionDeps = { tls: {}, log: silentLog, sleep: async () => {}, random: () => 0.5, retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 100 }, timeouts: DEFAULT_TIMEOUTS };
  const session = new ImageioSession(endpoint, options, new ImageioConnection(endpoint, deps), deps);
  return { server, session, close: async () => (await session.close(), await server.close()) };
}
