import type { QueueJob } from './job.js';

/** How many transfers may run at once, in all and per engine and storage domain. */
export interface ConcurrencyLimits {
  /** All transfers together (default 2). */
  readonly concurrency: number;
  /** Per engine; null = only the global limit. */
  readonly perEngine: number | null;
  /** Per storage domain; null = only the global limit. */
  readonly perStorageDomain: number | null;
}

/** The default limits: two transfers at once, no finer limit. */
export const DEFAULT_LIMITS: ConcurrencyLimits = { concurrency: 2, perEngine: null, perStorageDomain: null };

/** Two transfers of one disk cannot run at once (the engine locks the disk); this names the disk. */
function diskKey(job: QueueJob): string | null {
  if (job.kind === 'download') return `${job.engine}\u0000${job.diskId ?? job.download.disk}`;
  // One backup of a VM at a time (the engine's rule): the VM stands in for its disks.
  if (job.kind === 'backup') return `${job.engine}\u0000vm\u0000${job.backup.vmId}`;
  return null;
}

/**
 * Which of the `ready` jobs start now, given the jobs that hold a run (`busy`): highest priority
 * first, queue order among equals, skipping a job whose engine, storage domain or disk is at its
 * limit (a later job that fits may still start). Pure.
 */
export function pickStarts(ready: readonly QueueJob[], busy: readonly QueueJob[], limits: ConcurrencyLimits): QueueJob[] {
  const order = new Map(ready.map((j, i) => [j.id, i]));
  const sorted = [...ready].sort((a, b) => b.priority - a.priority || order.get(a.id)! - order.get(b.id)!);
  const perEngine = new Map<string, number>();
  const perDomain = new Map<string, number>();
  const disks = new Set<string>();
  const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const j of busy) {
    count(perEngine, j.engine);
    if (j.storageDomainKey) count(perDomain, `${j.engine}\u0000${j.storageDomainKey}`);
    const d = diskKey(j);
    if (d) disks.add(d);
  }
  let running = busy.length;
  const out: QueueJob[] = [];
  for (const j of sorted) {
    if (running >= limits.concurrency) break;
    if (limits.perEngine !== null && (perEngine.get(j.engine) ?? 0) >= limits.perEngine) continue;
    const domain = j.storageDomainKey ? `${j.engine}\u0000${j.storageDomainKey}` : null;
    if (domain && limits.perStorageDomain !== null && (perDomain.get(domain) ?? 0) >= limits.perStorageDomain) continue;
    const d = diskKey(j);
    if (d && disks.has(d)) continue;
    out.push(j);
    running++;
    count(perEngine, j.engine);
    if (domain) count(perDomain, domain);
    if (d) disks.add(d);
  }
  return out;
}
