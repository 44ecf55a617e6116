/**
 * The layout of a qcow2 v3 file written from a download. The server's extents are known before the
 * first byte arrives, so every data cluster gets its host offset up front (in guest order, after the
 * metadata): workers then write any range in any order with plain arithmetic, nothing is allocated
 * while data flows, and an interrupted download resumes into the same layout.
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
  /** A digest of the layout: a resumed download continues only into the same layout. */
  readonly id: string;
}

/** 16-bit refcounts (refcount_order 4, qemu's default). */
const REFCOUNT_BYTES = 2;

/**
 * Computes the layout for `virtualSize` bytes whose data lies in `dataExtents` (sorted, from the
 * server): every cluster that holds any data byte is allocated, zero clusters stay unallocated.
 */
export function qcow2Layout(virtualSize: number, dataExtents: ReadonlyArray<{ readonly start: number; readonly length: number }>, clusterBits = 16): Qcow2Layout {
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
  const tables = new Set<number>();
  let dataClusters = 0;
  for (const r of guestRuns) {
    for (let t = Math.floor(r.guest / l2Entries); t <= Math.floor((r.guest + r.count - 1) / l2Entries); t++) tables.add(t);
    dataClusters += r.count;
  }
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
    .update(JSON.stringify([clusterBits, virtualSize, runs.map((r) => [r.guest, r.count])]))
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
    id,
  };
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
