/**
 * The janitor of image transfers: every transfer an engine lists, whose it is (a DiskFerry queue job,
 * a plain command's run on this machine, or another client), whether something is behind it, and
 * ending the stuck ones the way their direction needs — with the rules the queue's recovery already
 * follows (recovery.ts): a download is finalized (its disk goes back to ok), an upload is cancelled
 * (finalize on engines without cancel) and its disk is removed by the engine (by DiskFerry before
 * 4.2.4). Nothing here decides to end another client's transfer that is still moving: the caller
 * names such a transfer by id or it is left alone.
 */
import { errorMessage } from '../errors.js';
import type { ImageTransfer } from '../ovirt/types.js';
import { deletesDiskOnUploadFailure } from '../ovirt/versions.js';
import { endTransfer as endUploadTransfer, finalizeDownload, unsavedDownload } from '../queue/recovery.js';
import { sleep } from '../timers.js';
import type { TransferDeps } from '../transfer/deps.js';
import type { TransferLedger } from './ledger.js';
import type { Sightings } from './sightings.js';

/** Who a transfer belongs to, when it is ours. */
export interface Owner {
  /**
   * `queue`: a job of the queue of the program asking (the window's, or the CLI's for `diskferry
   * transfers`); `command-line-queue`: a job of `diskferry queue`, as the window sees it;
   * `window-queue`: a job of the window's queue, as `diskferry transfers` sees it; `process`: a
   * plain command's run on this machine.
   */
  readonly kind: 'queue' | 'command-line-queue' | 'window-queue' | 'process';
  /** For listings: "queue job web-01 (3f2a…)", "diskferry queue job …", "DiskFerry window job …", "diskferry download (process 4242)". */
  readonly label: string;
  /** The label's parts, for a window that words it in its language: the job's name, or the command ("download"). */
  readonly name: string;
  /** The job's short id, or the command's process id. */
  readonly ref: string;
  /** A command's machine when it is not this one; null otherwise. */
  readonly host: string | null;
  /** Someone is behind it: a running command, or a queue job that goes on with it later. */
  readonly live: boolean;
  /** The job's id, for a queue's owner. */
  readonly jobId?: string;
}

/**
 * What a transfer is doing. `moving`: someone is (or may be) using it; `held`: paused on purpose (a
 * queued job, a client's pause); `stuck`: nobody is behind it; `ending`: the engine is ending it;
 * `finished`: over; `unknown`: the engine does not say enough (4.1 reports no activity).
 */
export type TransferCondition = 'moving' | 'held' | 'stuck' | 'ending' | 'finished' | 'unknown';

/** Why a transfer is in its condition, as a code (the window words it in its language; `why` is the English). */
export type ConditionReason =
  | 'ended-well'
  | 'ended-failure'
  | 'engine-ending'
  | 'queued-job'
  | 'command-running'
  | 'owner-gone'
  | 'paused-by-engine'
  | 'idle'
  | 'paused-by-client'
  | 'data-moving'
  | 'no-activity-report'
  | 'not-watched-long'
  | 'quiet-not-long';

/** One row of `diskferry transfers`. */
export interface TransferRow {
  readonly transfer: ImageTransfer;
  readonly diskName: string | null;
  readonly hostName: string | null;
  readonly owner: Owner | null;
  /** Unchanged for at least this long, as DiskFerry saw it (sightings.ts); null: moving or not known yet. */
  readonly idleMs: number | null;
  readonly condition: TransferCondition;
  /** Why, in a few words. */
  readonly why: string;
  readonly reason: ConditionReason;
}

const FINISHED = new Set(['finished_success', 'finished_failure']);
const ENDING = new Set(['finalizing_success', 'finalizing_failure', 'finalizing_cleanup', 'finished_cleanup', 'cancelled', 'cancelled_system', 'cancelled_user']);
/** Another client's transfer counts as stuck after this long without any change (at least twice its inactivity timeout). */
export const STUCK_AFTER_MS = 10 * 60_000;

/** Ids of what we own: by transfer id, and by `direction:diskId` for a run killed before it learnt its transfer's id. */
export interface Owners {
  readonly byTransfer: ReadonlyMap<string, Owner>;
  readonly byDisk: ReadonlyMap<string, Owner>;
}

/** Every transfer of the engine with its owner, idle time and condition (finished ones too; the caller filters). */
export async function surveyTransfers(deps: TransferDeps, owners: Owners, sightings: Sightings, signal?: AbortSignal): Promise<TransferRow[]> {
  const transfers = await deps.client.transfers(signal);
  const idle = sightings.update(transfers, deps.now());
  await sightings.save().catch((err: unknown) => deps.log.warn('could not save the transfer sightings', { error: errorMessage(err) }));
  const diskNames = new Map<string, string | null>();
  const hostNames = new Map<string, string | null>();
  const rows: TransferRow[] = [];
  for (const t of transfers) {
    if (t.diskId && !diskNames.has(t.diskId)) diskNames.set(t.diskId, (await deps.client.disk(t.diskId, signal).catch(() => null))?.name ?? null);
    if (t.hostId && !hostNames.has(t.hostId)) hostNames.set(t.hostId, await deps.client.hostName(t.hostId, signal).catch(() => null));
    const open = !FINISHED.has(t.phase) && t.active !== true;
    const owner = owners.byTransfer.get(t.id) ?? (open && t.diskId ? (owners.byDisk.get(`${t.direction}:${t.diskId}`) ?? null) : null);
    const idleMs = idle.get(t.id) ?? null;
    rows.push({ transfer: t, diskName: t.diskId ? (diskNames.get(t.diskId) ?? null) : null, hostName: t.hostId ? (hostNames.get(t.hostId) ?? null) : null, owner, idleMs, ...condition(t, owner, idleMs) });
  }
  return rows;
}

/** The condition of a transfer and why (see TransferCondition). Pure. */
export function condition(t: ImageTransfer, owner: Owner | null, idleMs: number | null): { condition: TransferCondition; why: string; reason: ConditionReason } {
  const is = (condition: TransferCondition, reason: ConditionReason, why: string) => ({ condition, why, reason });
  if (FINISHED.has(t.phase)) return t.phase === 'finished_success' ? is('finished', 'ended-well', 'ended well') : is('finished', 'ended-failure', 'ended in failure');
  if (ENDING.has(t.phase)) return is('ending', 'engine-ending', 'the engine is ending it');
  if (owner?.live) return owner.kind !== 'process' ? is('held', 'queued-job', 'a queued DiskFerry job goes on with it') : is('moving', 'command-running', `${owner.label} is working on it`);
  if (owner) return is('stuck', 'owner-gone', `${owner.label} is gone`);
  if (t.phase === 'paused_system') return is('stuck', 'paused-by-engine', 'paused by the engine; nobody resumed it');
  const quiet = idleMs !== null && idleMs >= Math.max(STUCK_AFTER_MS, 2 * 1000 * (t.inactivityTimeout ?? 0));
  if (quiet) return is('stuck', 'idle', `no activity for ${Math.round(idleMs / 60_000)} min`);
  if (t.phase === 'paused_user') return is('held', 'paused-by-client', 'paused by its client');
  if (t.active === true) return is('moving', 'data-moving', 'data is moving');
  if (t.active === null && t.transferred === null) return is('unknown', 'no-activity-report', 'this engine does not report activity');
  return idleMs === null
    ? is('moving', 'not-watched-long', 'another client; not watched long enough to call it stuck')
    : is('moving', 'quiet-not-long', 'another client; quiet, not long enough to call it stuck');
}

/** What ending a transfer did. */
export interface EndOutcome {
  /** `finalized` (download), `cancelled` (upload), `waited` (the engine was already ending it). */
  readonly action: 'finalized' | 'cancelled' | 'waited';
  /** The disk afterwards: `ok`, `removed`, or still `locked`/`illegal` when the engine had not settled it by the deadline. */
  readonly disk: 'ok' | 'removed' | 'locked' | 'illegal' | 'unknown';
  /** One line for the user. */
  readonly message: string;
}

/**
 * Ends a transfer the right way for its direction and phase, then waits until its disk is `ok` (a
 * download) or gone (an upload: the engine deletes it; DiskFerry does before 4.2.4). Throws only when
 * the engine cannot be reached or the wait runs out.
 */
export async function endStuckTransfer(deps: TransferDeps, t: ImageTransfer, options: { timeoutMs: number; signal: AbortSignal }): Promise<EndOutcome> {
  const { timeoutMs, signal } = options;
  const name = t.diskId ?? 'unknown disk';
  if (t.direction === 'download') {
    const waited = t.phase.startsWith('finalizing') || ENDING.has(t.phase);
    if (t.diskId) await finalizeDownload(deps, t.id, t.diskId, signal, timeoutMs);
    const disk = t.diskId ? await settledDisk(deps, t.diskId, timeoutMs, signal) : 'unknown';
    const state = disk === 'ok' ? 'the disk is ok (unlocked)' : `the disk is ${disk}`;
    return { action: waited ? 'waited' : 'finalized', disk, message: `Finalized download transfer ${t.id} of disk ${name}: ${state}.` };
  }
  const end = await endUploadTransfer(deps, t, signal, timeoutMs);
  if (end?.phase === 'finished_success') {
    const disk = t.diskId ? await settledDisk(deps, t.diskId, timeoutMs, signal) : 'unknown';
    return { action: 'waited', disk, message: `Upload transfer ${t.id} had already ended well; disk ${name} is ${disk} and was kept.` };
  }
  if (!t.diskId) return { action: 'cancelled', disk: 'unknown', message: `Cancelled upload transfer ${t.id}.` };
  if (!deletesDiskOnUploadFailure(await deps.client.version(signal))) await deps.client.deleteDisk(t.diskId, signal);
  const gone = await deps.client.waitForDiskGone(t.diskId, { timeoutMs, signal });
  return {
    action: 'cancelled',
    disk: gone ? 'removed' : 'locked',
    message: gone ? `Cancelled upload transfer ${t.id}; its disk ${name} was removed.` : `Cancelled upload transfer ${t.id}; its disk ${name} is not removed yet (the engine is still at it).`,
  };
}

/** Polls the disk until it is no longer locked (or gone), up to the deadline. */
async function settledDisk(deps: TransferDeps, diskId: string, timeoutMs: number, signal: AbortSignal): Promise<EndOutcome['disk']> {
  const deadline = deps.now() + timeoutMs;
  for (;;) {
    const d = await deps.client.disk(diskId, signal);
    if (!d) return 'removed';
    if (d.status !== 'locked' || deps.now() >= deadline) return d.status ?? 'unknown';
    await sleep(deps.timers, 500, signal);
  }
}

/** What the sweep of the local record did, for one line each. */
export interface SweepNote {
  readonly transferId: string;
  readonly message: string;
}

/**
 * Ends the download transfers that plain commands of this machine left on this engine when their
 * process died (kill -9, a crash, a closed terminal): finalize, so the disk is unlocked now instead of
 * after the engine's inactivity timeout. Uploads are left for `diskferry transfers clean`, which asks
 * first (ending one deletes its disk). Entries with nothing left on the engine go. Never throws.
 */
export async function sweepDownloads(deps: TransferDeps, ledger: TransferLedger, options: { timeoutMs: number; signal?: AbortSignal }): Promise<SweepNote[]> {
  const notes: SweepNote[] = [];
  const signal = options.signal ?? AbortSignal.timeout(options.timeoutMs);
  try {
    for (const e of await ledger.list()) {
      if (e.engine !== deps.client.engineHost || e.direction !== 'download' || !(await ledger.orphaned(e))) continue;
      const t = e.transferId ? await deps.client.transfer(e.transferId, signal) : e.diskId ? await unsavedDownload(deps, e.diskId, signal) : null;
      if (t && !FINISHED.has(t.phase) && t.diskId) {
        const end = await endStuckTransfer(deps, t, { timeoutMs: options.timeoutMs, signal });
        notes.push({ transferId: t.id, message: `A download interrupted earlier (process ${e.pid}) left its transfer open. ${end.message}` });
      }
      await ledger.remove(e.key);
    }
  } catch (err) {
    deps.log.warn('ending the transfers of interrupted downloads did not complete', { error: errorMessage(err) });
  }
  return notes;
}
