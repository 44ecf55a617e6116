/**
 * Pure views of the store's data: the queue and the history, their one-line summaries, the disk
 * list filtered and sorted, and the history report. Tested without React.
 */
import type { DiskView, TransferView, VmView } from '../../shared/ipc.js';

/** True for a transfer that belongs in the queue pane: everything not completed or cancelled (failed ones stay, to retry). */
export function inQueue(t: Pick<TransferView, 'state'>): boolean {
  return t.state !== 'completed' && t.state !== 'cancelled';
}

/** True for a transfer the history shows: finished ones (failed included, so the report has them). */
export function inHistory(t: Pick<TransferView, 'state'>): boolean {
  return t.state === 'completed' || t.state === 'cancelled' || t.state === 'failed';
}

/** Counts for the queue header: "3 running · 5 waiting · 1 failed". */
export interface QueueCounts {
  readonly running: number;
  readonly waiting: number;
  readonly paused: number;
  readonly failed: number;
}

const RUNNING = new Set(['preparing', 'initializing', 'transferring', 'finalizing', 'verifying']);

/** Counts the queue's transfers by what they are doing. */
export function queueCounts(queue: readonly Pick<TransferView, 'state'>[]): QueueCounts {
  let running = 0;
  let waiting = 0;
  let paused = 0;
  let failed = 0;
  for (const t of queue) {
    if (RUNNING.has(t.state)) running++;
    else if (t.state === 'paused') paused++;
    else if (t.state === 'failed') failed++;
    else waiting++;
  }
  return { running, waiting, paused, failed };
}

/** The history line: what was moved, what failed, how many bytes. */
export interface HistorySummary {
  readonly uploaded: number;
  readonly downloaded: number;
  readonly failed: number;
  readonly cancelled: number;
  /** Guest bytes of the completed transfers. */
  readonly bytes: number;
}

/** Sums the history. */
export function historySummary(history: readonly Pick<TransferView, 'state' | 'direction' | 'progress'>[]): HistorySummary {
  let uploaded = 0;
  let downloaded = 0;
  let failed = 0;
  let cancelled = 0;
  let bytes = 0;
  for (const t of history) {
    if (t.state === 'completed') {
      if (t.direction === 'upload') uploaded++;
      else downloaded++;
      bytes += t.progress.bytesTotal ?? t.progress.bytesDone;
    } else if (t.state === 'failed') failed++;
    else if (t.state === 'cancelled') cancelled++;
  }
  return { uploaded, downloaded, failed, cancelled, bytes };
}

/** Columns the disk list sorts by. */
export type DiskSortKey = 'name' | 'vm' | 'provisionedSize' | 'actualSize' | 'format' | 'status';

/** The VM column's text: the VMs a disk is attached to; null for a floating disk or when unknown. */
export function diskVmText(d: DiskView): string | null {
  return d.vmNames && d.vmNames.length > 0 ? d.vmNames.join(', ') : null;
}

/** A sort order. */
export interface DiskSort {
  readonly key: DiskSortKey;
  readonly descending: boolean;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Compares two disks by one column; unknown values (null) sort last either way. */
function compareBy(key: DiskSortKey, a: DiskView, b: DiskView): number {
  const x = key === 'vm' ? diskVmText(a) : a[key];
  const y = key === 'vm' ? diskVmText(b) : b[key];
  if (x === y) return 0;
  if (x === null) return 1;
  if (y === null) return -1;
  return typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y));
}

/**
 * The disks whose name (or id, or storage domain) contains the search words, sorted; ties by name.
 * Nulls stay last in both directions so "unknown size" never tops the list.
 */
export function filterAndSortDisks(disks: readonly DiskView[], search: string, sort: DiskSort): DiskView[] {
  const words = search.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const matches = words.length === 0 ? [...disks] : disks.filter((d) => {
    const hay = `${d.name} ${d.id} ${d.storageDomainNames.join(' ')} ${(d.vmNames ?? []).join(' ')}`.toLowerCase();
    return words.every((w) => hay.includes(w.replace(/\*/g, '')));
  });
  return matches.sort((a, b) => {
    const value = (d: DiskView) => (sort.key === 'vm' ? diskVmText(d) : d[sort.key]);
    const nullsLast = (value(a) === null) !== (value(b) === null);
    const c = compareBy(sort.key, a, b);
    const directed = sort.descending && !nullsLast ? -c : c;
    return directed !== 0 ? directed : collator.compare(a.name, b.name);
  });
}

/** One CSV field, quoted when needed. */
function csvField(value: string | number | null): string {
  const s = value === null ? '' : String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The history as CSV (ISO times, plain byte counts) for the report: one line a transfer. */
export function historyReportCsv(history: readonly TransferView[]): string {
  const header = ['finished', 'direction', 'state', 'name', 'disk', 'disk_id', 'storage_domain', 'local_path', 'bytes', 'seconds', 'attempts', 'error'];
  const rows = history.map((t) => [
    t.finishedAt === null ? null : new Date(t.finishedAt).toISOString(),
    t.direction,
    t.state,
    t.name,
    t.diskName,
    t.diskId,
    t.storageDomainName,
    t.localPath,
    t.progress.bytesTotal ?? t.progress.bytesDone,
    Math.round(t.progress.elapsedMs / 1000),
    t.attempts,
    t.error ? `${t.error.code}: ${t.error.message}` : null,
  ]);
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

/** The VMs whose name contains the search (any case), in the engine's order. */
export function filterVms(vms: readonly VmView[], search: string): readonly VmView[] {
  const q = search.trim().toLowerCase();
  return q === '' ? vms : vms.filter((v) => v.name.toLowerCase().includes(q));
}
