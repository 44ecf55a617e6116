/**
 * The layout of a qcow2 v3 file written from a download. The server's extents are known before the
 * first byte arrives, so every data cluster gets its host offset up front (in guest order, after the
 * metadata): workers then write any range in any order with plain arithmetic, nothing is allocated
 * while data flows, and an interrupted download resumes into the same layout.
 *
 * An incremental backup's file has a backing file (the previous backup of the disk): its clusters
 * are data (fetched), zero (zero clusters, L2 flag bit 0, which hide the backing file's data) or
 * left unallocated, which read through to the backing file.
 */
import { createHash } from 'node:crypto';
import { MAX_L1_BYTES } from './qcow2-format.js';

/** A run of guest clusters stored contiguously on the host. */
export interface ClusterRun {
  /** First guest cluster. */
  readonly guest: number;
  readonly count: number;
  /** First host cluster. */
  readonly host: number;
}

/** Where everything lives in the file, in clusters unless named bytes. */
export interface Qcow2Layout {
  readonly clusterBits: number;
  readonly clusterSize: number;
  readonly virtualSize: number;
  readonly l1Entries: number;
  readonly l1Cluster: number;
  readonly l1Clusters: number;
  readonly refcountTableCluster: number;
  readonly refcountTableClusters: number;
  readonly refcountBlockCluster: number;
  readonly refcountBlocks: number;
  /** L1 index → host cluster of its L2 table (only tables that map data). */
  readonly l2Tables: ReadonlyMap<number, number>;
  readonly runs: readonly ClusterRun[];
  readonly dataClusters: number;
  /** Host clusters in the file; its size is this times the cluster size. */
  readonly totalClusters: number;
  readonly fileSize: number;
  /** Guest clusters that read as zeros whatever the backing file holds (zero-flag L2 entries), in guest order. */
  readonly zeroRuns: readonly { readonly guest: number; readonly count: number }[];
  /** The backing file's name as the header stores it (relative to this file), with format qcow2; null: none. */
  readonly backingFile: string | null;
  /** A digest of the layout: a resumed download continues only into the same layout. */
  readonly id: string;
}

/** What a layout may have besides its data. */
export interface Qcow2LayoutOptions {
  readonly clusterBits?: number;
  /** The backing file (a qcow2), named relative to the new file; at most 1023 bytes. */
  readonly backingFile?: string | null;
  /**
   * Extents that must read as zeros (an incremental's changed-to-zero areas). Only whole clusters
   * become zero clusters; a cluster that is also data stays data. Sorted.
   */
  readonly zeroExtents?: ReadonlyArray<{ readonly start: number; readonly length: number }>;
}

/** The longest backing file name qemu accepts. */
export const MAX_BACKING_NAME = 1023;

/** 16-bit refcounts (refcount_order 4, qemu's default). */
const REFCOUNT_BYTES = 2;

/**
 * Computes the layout for `virtualSize` bytes whose data lies in `dataExtents` (sorted, from the
 * server): every cluster that holds any data byte is allocated, zero clusters stay unallocated.
 */
export function qcow2Layout(
  virtualSize: number,
  dataExtents: ReadonlyArray<{ readonly start: number; readonly length: number }>,
  options: number | Qcow2LayoutOptions = {},
): Qcow2Layout {
  const o = typeof options === 'number' ? { clusterBits: options } : options;
  const clusterBits = o.clusterBits ?? 16;
  const backingFile = o.backingFile ?? null;
  if (backingFile !== null && (backingFile === '' || Buffer.byteLength(backingFile) > MAX_BACKING_NAME)) throw new RangeError(`a backing file name must have 1 to ${MAX_BACKING_NAME} bytes`);
  const C = 2 ** clusterBits;
  const l2Entries = C / 8;
  const l1Entries = Math.ceil(Math.ceil(virtualSize / C) / l2Entries);
  if (l1Entries * 8 > MAX_L1_BYTES) throw new RangeError(`a ${virtualSize}-byte qcow2 needs a larger cluster size`);
  const guestRuns: Array<{ guest: number; count: number }> = [];
  for (const e of dataExtents) {
    if (e.length <= 0) continue;
    const first = Math.floor(e.start / C);
    const end = Math.ceil(Math.min(e.start + e.length, virtualSize) / C);
    const last = guestRuns[guestRuns.length - 1];
    if (last && first < last.guest) throw new RangeError('data extents must be sorted');
    if (last && first <= last.guest + last.count) last.count = Math.max(last.count, end - last.guest);
    else if (end > first) guestRuns.push({ guest: first, count: end - first });
  }
  const zeroRuns = wholeClusterRuns(o.zeroExtents ?? [], guestRuns, C, virtualSize);
  const tables = new Set<number>();
  let dataClusters = 0;
  for (const r of [...guestRuns, ...zeroRuns]) {
    for (let t = Math.floor(r.guest / l2Entries); t <= Math.floor((r.guest + r.count - 1) / l2Entries); t++) tables.add(t);
  }
  for (const r of guestRuns) dataClusters += r.count;
  const l1Clusters = Math.max(1, Math.ceil((l1Entries * 8) / C));
  // The refcount blocks count every cluster, themselves included: grow until the count is stable.
  const perBlock = C / REFCOUNT_BYTES;
  let refcountBlocks = 1;
  let refcountTableClusters = 1;
  for (;;) {
    const total = 1 + l1Clusters + refcountTableClusters + refcountBlocks + tables.size + dataClusters;
    const blocks = Math.ceil(total / perBlock);
    const tableClusters = Math.ceil((blocks * 8) / C);
    if (blocks === refcountBlocks && tableClusters === refcountTableClusters) break;
    refcountBlocks = blocks;
    refcountTableClusters = tableClusters;
  }
  const refcountTableCluster = 1 + l1Clusters;
  const refcountBlockCluster = refcountTableCluster + refcountTableClusters;
  let next = refcountBlockCluster + refcountBlocks;
  const l2Tables = new Map<number, number>();
  for (const t of [...tables].sort((a, b) => a - b)) l2Tables.set(t, next++);
  const runs: ClusterRun[] = [];
  for (const r of guestRuns) {
    runs.push({ guest: r.guest, count: r.count, host: next });
    next += r.count;
  }
  const id = createHash('sha256')
    .update(JSON.stringify([clusterBits, virtualSize, runs.map((r) => [r.guest, r.count]), ...(backingFile === null && zeroRuns.length === 0 ? [] : [backingFile, zeroRuns.map((r) => [r.guest, r.count])])]))
    .digest('hex')
    .slice(0, 16);
  return {
    clusterBits,
    clusterSize: C,
    virtualSize,
    l1Entries,
    l1Cluster: 1,
    l1Clusters,
    refcountTableCluster,
    refcountTableClusters,
    refcountBlockCluster,
    refcountBlocks,
    l2Tables,
    runs,
    dataClusters,
    totalClusters: next,
    fileSize: next * C,
    zeroRuns,
    backingFile,
    id,
  };
}

/**
 * The clusters wholly inside `extents` (the last, short cluster counts when the extent reaches the
 * end of the image), less those that hold data, as runs in guest order.
 */
function wholeClusterRuns(
  extents: ReadonlyArray<{ readonly start: number; readonly length: number }>,
  data: ReadonlyArray<{ readonly guest: number; readonly count: number }>,
  C: number,
  virtualSize: number,
): Array<{ guest: number; count: number }> {
  const out: Array<{ guest: number; count: number }> = [];
  let d = 0;
  for (const e of extents) {
    const endByte = Math.min(e.start + e.length, virtualSize);
    const first = Math.ceil(e.start / C);
    const end = endByte === virtualSize ? Math.ceil(endByte / C) : Math.floor(endByte / C);
    let c = first;
    while (c < end) {
      while (d < data.length && data[d]!.guest + data[d]!.count <= c) d++;
      const next = data[d];
      if (next && next.guest <= c) {
        c = next.guest + next.count;
        continue;
      }
      const stop = Math.min(end, next ? next.guest : end);
      const last = out[out.length - 1];
      if (last && last.guest + last.count === c) last.count += stop - c;
      else out.push({ guest: c, count: stop - c });
      c = stop;
    }
  }
  return out;
}

/** A piece of a guest range on the host. */
export interface HostSegment {
  readonly host: number;
  /** Offset in the guest range. */
  readonly at: number;
  readonly length: number;
}

/**
 * Where guest bytes [offset, offset+length) live in the file. Returns null when any part of the
 * range lies outside the allocated clusters (the caller only writes ranges the server called data).
 */
export function hostSegments(layout: Qcow2Layout, offset: number, length: number): HostSegment[] | null {
  const C = layout.clusterSize;
  const out: HostSegment[] = [];
  let pos = offset;
  const end = offset + length;
  while (pos < end) {
    const run = findRun(layout.runs, Math.floor(pos / C));
    if (!run) return null;
    const runEnd = Math.min(end, (run.guest + run.count) * C);
    out.push({ host: run.host * C + (pos - run.guest * C), at: pos - offset, length: runEnd - pos });
    pos = runEnd;
  }
  return out;
}

function findRun(runs: readonly ClusterRun[], cluster: number): ClusterRun | null {
  let lo = 0;
  let hi = runs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = runs[mid]!;
    if (cluster < r.guest) hi = mid - 1;
    else if (cluster >= r.guest + r.count) lo = mid + 1;
    else return r;
  }
  return null;
}

/** One extent of imageio's `context=dirty` answer. */
export interface DirtyExtent {
  readonly start: number;
  readonly length: number;
  /** Changed since the checkpoint. */
  readonly dirty: boolean;
  /** Reads as zeros now. */
  readonly zero: boolean;
}

/**
 * The file of an incremental backup of a disk: only what changed since the checkpoint, on top of
 * the previous backup of the disk (`backingFile`). A cluster with changed data is fetched whole (a
 * partly written cluster would hide the rest of the backing file's cluster), a cluster that changed
 * to zeros entirely becomes a zero cluster, one that changed partly to zeros is fetched too (it reads
 * as zeros there anyway), and an unchanged cluster stays unallocated. Returns the layout and the
 * guest ranges to fetch, in order, cluster-aligned (the last one ends at the virtual size).
 */
export function incrementalLayout(
  virtualSize: number,
  extents: readonly DirtyExtent[],
  backingFile: string,
  clusterBits = 16,
): { readonly layout: Qcow2Layout; readonly fetch: Array<{ start: number; length: number }> } {
  const C = 2 ** clusterBits;
  const zeros: Array<{ start: number; length: number }> = [];
  const data: Array<{ start: number; length: number }> = [];
  const push = (list: Array<{ start: number; length: number }>, start: number, end: number) => {
    const last = list[list.length - 1];
    if (last && start <= last.start + last.length) last.length = Math.max(last.length, end - last.start);
    else list.push({ start, length: end - start });
  };
  for (const e of extents) if (e.dirty && e.zero && e.length > 0) push(zeros, e.start, Math.min(e.start + e.length, virtualSize));
  const marks: Array<{ start: number; end: number }> = [];
  for (const e of extents) if (e.dirty && !e.zero && e.length > 0) marks.push({ start: e.start, end: Math.min(e.start + e.length, virtualSize) });
  // The cluster-unaligned edges of changed-to-zero areas: fetched whole, like data.
  for (const z of zeros) {
    const end = z.start + z.length;
    if (z.start % C !== 0) marks.push({ start: z.start, end: Math.min(end, Math.ceil(z.start / C) * C) });
    if (end % C !== 0 && end !== virtualSize) marks.push({ start: Math.max(z.start, Math.floor(end / C) * C), end });
  }
  marks.sort((a, b) => a.start - b.start);
  for (const m of marks) if (m.end > m.start) push(data, Math.floor(m.start / C) * C, Math.min(Math.ceil(m.end / C) * C, virtualSize));
  const layout = qcow2Layout(virtualSize, data, { clusterBits, backingFile, zeroExtents: zeros });
  const fetch = layout.runs.map((r) => ({ start: r.guest * C, length: Math.min((r.guest + r.count) * C, virtualSize) - r.guest * C }));
  return { layout, fetch };
}
