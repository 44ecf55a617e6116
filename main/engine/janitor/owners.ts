/**
 * Whose each engine transfer is, from what this machine knows: the jobs of the queues (the CLI's
 * queue file, the window's queue; each program reads both) and the local record of plain commands
 * (ledger.ts). The CLI's `transfers` and the window's view of an engine's transfers build their
 * `Owners` here, the same way.
 */
import { hostname } from 'node:os';
import type { QueueJob } from '../queue/job.js';
import { isTerminal } from '../queue/states.js';
import type { Owner, Owners } from './janitor.js';
import type { TransferLedger } from './ledger.js';

/** Mutable owners being collected. */
interface Collecting {
  readonly byTransfer: Map<string, Owner>;
  readonly byDisk: Map<string, Owner>;
}

/** Empty owners to fill. */
function collecting(): Collecting {
  return { byTransfer: new Map(), byDisk: new Map() };
}

/**
 * A queue's jobs: a job owns its transfer (or, killed before it learnt the id, the open transfer of
 * its disk), live while it is not finished. A job whose last run the engine refused because the disk
 * was locked made no transfer: the one holding its disk is someone else's, and must not pass for ours.
 * Nor does a finished job own its disk's open transfer: its last attempt ended and closed its own
 * (only a run cut short leaves a job unfinished), so a transfer of that disk now is another
 * client's — `transfers clean` ended another client's download of a disk a completed job had
 * downloaded.
 */
function addJobs(into: Collecting, jobs: readonly QueueJob[], kind: QueueOwnerKind): void {
  const prefix = JOB_LABELS[kind];
  for (const j of jobs) {
    const ref = j.id.slice(0, 8);
    const owner: Owner = { kind, label: `${prefix} ${j.label} (${ref})`, name: j.label, ref, host: null, live: !isTerminal(j.state), jobId: j.id };
    if (j.transferId) into.byTransfer.set(j.transferId, owner);
    else if (j.diskId && j.attempts > 0 && owner.live && j.error?.diskLocked !== true) into.byDisk.set(`${j.kind}:${j.diskId}`, owner);
  }
}

/** A queue's kind of owner: the asking program's own, or the other program's on this machine. */
type QueueOwnerKind = Exclude<Owner['kind'], 'process'>;

/** How a job of each queue is named in listings. */
const JOB_LABELS: Readonly<Record<QueueOwnerKind, string>> = { queue: 'queue job', 'command-line-queue': 'diskferry queue job', 'window-queue': 'DiskFerry window job' };

/** The local record's runs on this engine: live while their process runs. */
async function addLedger(into: Collecting, ledger: TransferLedger, engineHost: string): Promise<void> {
  for (const e of await ledger.list()) {
    if (e.engine !== engineHost) continue;
    const host = e.host === hostname() ? null : e.host;
    const owner: Owner = { kind: 'process', label: `diskferry ${e.command} (process ${e.pid}${host ? ` on ${host}` : ''})`, name: e.command, ref: String(e.pid), host, live: !(await ledger.orphaned(e)) };
    if (e.transferId) into.byTransfer.set(e.transferId, owner);
    else if (e.diskId) into.byDisk.set(`${e.direction}:${e.diskId}`, owner);
  }
}

/** What is known on this machine of whose an engine's transfers are. */
export interface OwnerSources {
  /** The jobs of the asking program's own queue (of that engine). */
  readonly queue: readonly QueueJob[];
  /**
   * The other program's queue on this machine: the command line's (`diskferry queue`) as the window
   * reads it, or the window's as `diskferry transfers` reads it. Its jobs name their engine by the
   * other program's profiles, so they are not filtered: transfer and disk ids are the engine's UUIDs
   * and name one engine's anyway.
   */
  readonly otherQueue?: { readonly kind: 'command-line-queue' | 'window-queue'; readonly jobs: readonly QueueJob[] };
  /** The local record of plain commands, and the engine's host its entries are filtered by. */
  readonly ledger?: { readonly ledger: TransferLedger; readonly engineHost: string } | null;
}

/** The owners of an engine's transfers: the other program's queue, then the own queue, then the local record (a later source wins a transfer named twice). */
export async function ownersOf(sources: OwnerSources): Promise<Owners> {
  const into = collecting();
  if (sources.otherQueue) addJobs(into, sources.otherQueue.jobs, sources.otherQueue.kind);
  addJobs(into, sources.queue, 'queue');
  if (sources.ledger) await addLedger(into, sources.ledger.ledger, sources.ledger.engineHost);
  return into;
}
