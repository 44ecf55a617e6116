import { randomFillSync } from 'node:crypto';
import type { RangeSource } from '../../../main/engine/imageio/put-body.js';
import type { PlanExtent } from '../../../main/engine/imageio/plan.js';
import type { ConnectionDeps } from '../../../main/engine/imageio/connection.js';
import { createLog, type Log } from '../../../main/engine/log.js';

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
