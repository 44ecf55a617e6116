/** imageio's request cap: larger requests do not go faster and spread badly over workers (reference/imageio.md §8.3). */
export const MAX_REQUEST_SIZE = 128 * 1024 * 1024;

/** One request of a copy: a data range to send or fetch, or a zero range to skip or zero. */
export interface PlannedRange {
  readonly start: number;
  readonly length: number;
  readonly zero: boolean;
}

/** An extent as both imageio and the local image readers describe it. */
export interface PlanExtent {
  readonly start: number;
  readonly length: number;
  readonly zero: boolean;
  /** Unallocated in a qcow2 seen without its backing chain: reads as zero here. */
  readonly hole?: boolean;
}

/**
 * Turns extents into requests: adjacent extents of the same kind are merged, then every run is cut
 * into requests of at most `maxRequest` bytes. Holes count as zero. Empty extents disappear.
 */
export function planRanges(extents: readonly PlanExtent[], options: { maxRequest?: number } = {}): PlannedRange[] {
  const maxRequest = options.maxRequest ?? MAX_REQUEST_SIZE;
  if (!Number.isSafeInteger(maxRequest) || maxRequest <= 0) throw new RangeError('maxRequest must be a positive integer');
  const runs: PlannedRange[] = [];
  for (const e of extents) {
    if (e.length <= 0) continue;
    const zero = e.zero || e.hole === true;
    const last = runs[runs.length - 1];
    if (last && last.zero === zero && last.start + last.length === e.start) runs[runs.length - 1] = { start: last.start, length: last.length + e.length, zero };
    else runs.push({ start: e.start, length: e.length, zero });
  }
  const out: PlannedRange[] = [];
  for (const run of runs) {
    for (let pos = 0; pos < run.length; pos += maxRequest) out.push({ start: run.start + pos, length: Math.min(maxRequest, run.length - pos), zero: run.zero });
  }
  return out;
}

/** Bytes of data and of zeros in a plan. */
export function planTotals(plan: readonly PlannedRange[]): { dataBytes: number; zeroBytes: number } {
  let dataBytes = 0;
  let zeroBytes = 0;
  for (const r of plan) {
    if (r.zero) zeroBytes += r.length;
    else dataBytes += r.length;
  }
  return { dataBytes, zeroBytes };
}
