/**
 * Whose each engine transfer is, from what this machine knows: the jobs of a queue (the CLI's queue
 * file, the app's queue) and the local record of plain commands (ledger.ts). The CLI's `transfers`
 * and the window's view of an engine's transfers build their `Owners` here, the same way.
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
 */
function addJobs(into: Collecting, jobs: readonly QueueJob[]): void {
  for (const j of jobs) {
    const owner: Owner = { kind: 'queue', label: `queue job ${j.label} (${j.id.slice(0, 8)})`, live: !isTerminal(j.state), jobId: j.id };
    if (j.transferId) into.byTransfer.set(j.transferId, owner);
    else if (j.diskId && j.attempts > 0 && j.error?.diskLocked !== true) into.byDisk.set(`${j.kind}:${j.diskId}`, owner);
  }
}

/** The local record's runs on this engine: live while their process runs. */
async function addLedger(into: Collecting, ledger: TransferLedger, engineHost: string): Promise<void> {
  for (const e of await ledger.list()) {
    if (e.engine !== engineHost) continue;
    const where = e.host === hostname() ? '' : ` on ${e.host}`;
    const owner: Owner = { kind: 'process', label: `diskferry ${e.command} (process ${e.pid}${where})`, live: !(await ledger.orphaned(e)) };
    if (e.transferId) into.byTransfer.set(e.transferId, owner);
    else if (e.diskId) into.byDisk.set(`${e.direction}:${e.diskId}`, owner);
  }
}

/** The owners of an engine's transfers: the given queue jobs (of that engine), then the local record when there is one. */
export async function ownersOf(jobs: readonly QueueJob[], ledger: { readonly ledger: TransferLedger; readonly engineHost: string } | null): Promise<Owners> {
  const into = collecting();
  addJobs(into, jobs);
  if (ledger) await addLedger(into, ledger.ledger, ledger.engineHost);
  return into;
}
