/**
 * What an interrupted job left on the engine, and what to do with it before the next attempt. The job
 * record holds the disk and transfer ids from the moment the engine created them, so after a crash,
 * kill -9 or failed cleanup nothing is left behind unknown: an upload continues on its disk (its
 * transfer re-attached while alive, else a new one on the same disk when its journal says what the
 * disk holds) unless the file changed, anything else is cancelled or deleted before the upload starts
 * again, and a download's open transfer is finalized so its disk is unlocked.
 */
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { endLeftovers } from '../backup/in-progress.js';
import { vmFolderName } from '../backup/set.js';
import { PendingSnapshots, sweepPendingSnapshots } from '../backup/snapshot-pending.js';
import { resolveVm } from '../backup/vm-lookup.js';
import { DiskFerryError, errorMessage } from '../errors.js';
import type { Disk, ImageTransfer } from '../ovirt/types.js';
import { nameSearch } from '../ovirt/urls.js';
import { defaultDiskName } from '../plan/upload-rules.js';
import { sleep } from '../timers.js';
import type { TransferDeps } from '../transfer/deps.js';
import { REATTACHABLE_PHASES } from '../transfer/reattach.js';
import { journalMismatch, UploadJournal } from '../transfer/upload-journal.js';
import { restoreUploaded, type QueueJob } from './job.js';

/** How the next upload attempt begins. */
export type UploadStart =
  /** A new disk; `why` says why the earlier run's disk was not continued, when it had one. */
  | { readonly kind: 'fresh'; readonly why?: string }
  /** Continue on the earlier run's disk: its transfer, or a new one when `transferId` is null. */
  | { readonly kind: 'reattach'; readonly diskId: string; readonly transferId: string | null }
  /** The engine finished the upload before the process died: nothing to send. */
  | { readonly kind: 'done'; readonly disk: Disk };

const FINISHED = new Set(['finished_success', 'finished_failure', 'finished_cleanup']);

/** The tag that ties a disk to its job, written into the disk's description. */
export function jobTag(jobId: string): string {
  return `[diskferry job ${jobId}]`;
}

/** The disk description an upload job gives its disk. */
export function uploadDescription(job: QueueJob & { kind: 'upload' }): string {
  const r = job.restore;
  if (r?.backupDisk && r.vm) return `Restored by DiskFerry from the ${r.runKind ? `${r.runKind} ` : ''}backup ${basename(r.run ?? job.upload.path)} of VM ${r.vm.name}, disk ${r.backupDisk.alias} ${jobTag(job.id)}`;
  if (r) return `Restored by DiskFerry from ${basename(job.upload.path)} ${jobTag(job.id)}`;
  return `Uploaded by DiskFerry from ${basename(job.upload.path)} ${jobTag(job.id)}`;
}

/** Decides how an upload attempt begins, cleaning up what cannot be continued. */
export async function recoverUpload(deps: TransferDeps, job: QueueJob & { kind: 'upload' }, signal: AbortSignal, timeoutMs: number): Promise<UploadStart> {
  const { client, log } = deps;
  if (job.diskId === null) {
    // A run that died between POST /disks and saving the answer left a disk only its tag can find.
    if (job.attempts > 1) await removeTaggedDisks(deps, job, signal, timeoutMs);
    return { kind: 'fresh' };
  }
  const journal = deps.uploadJournals ? await UploadJournal.load(deps.uploadJournals, job.upload.path, job.diskId) : null;
  // A file changed since the upload began is not continued: its disk holds another image's bytes.
  const changed = await fileChange(job, journal);
  // A run killed between the engine creating the transfer and saving its id left one only the disk names.
  let transfer = job.transferId ? await client.transfer(job.transferId, signal) : await unsavedTransfer(deps, job.diskId, signal);
  if (transfer && REATTACHABLE_PHASES.has(transfer.phase) && !changed) return { kind: 'reattach', diskId: job.diskId, transferId: transfer.id };
  if (transfer && !FINISHED.has(transfer.phase)) transfer = await endTransfer(deps, transfer, signal, timeoutMs);
  const disk = await client.disk(job.diskId, signal);
  if (!disk) {
    await discardJournal(deps, job);
    return { kind: 'fresh', ...(changed ? { why: changed } : {}) };
  }
  // Only finalize makes an upload succeed: our finalize (the job or its journal says it began) with
  // the disk ok, or the engine's word (finished_success) unless the journal shows another client
  // finalized an upload this job had not finished sending.
  const ours = job.finalizing || journal?.finalizing === true;
  const succeeded = transfer ? transfer.phase === 'finished_success' && (ours || journal === null) : ours;
  if (succeeded && disk.status === 'ok') {
    await discardJournal(deps, job);
    return { kind: 'done', disk };
  }
  // The transfer is gone but the disk is ok and its journal says what it holds: a new transfer on it.
  if (!changed && journal && disk.status === 'ok') return { kind: 'reattach', diskId: disk.id, transferId: null };
  log.warn('removing the disk of an interrupted upload before starting it again', { diskId: disk.id, status: disk.status });
  await deleteDiskAndWait(deps, disk.id, signal, timeoutMs);
  await discardJournal(deps, job);
  return { kind: 'fresh', ...(changed ? { why: changed } : {}) };
}

/** Removes the upload journal of the job's disk (and what a kill during its save left). */
async function discardJournal(deps: TransferDeps, job: QueueJob & { kind: 'upload' }): Promise<void> {
  if (deps.uploadJournals && job.diskId) await UploadJournal.discard(deps.uploadJournals, job.upload.path, job.diskId);
}

/** Why the job's file is no longer the one its upload began with (size, mtime), or null. */
async function fileChange(job: QueueJob & { kind: 'upload' }, journal: UploadJournal | null): Promise<string | null> {
  const known = journal?.identity.stamp ?? job.upload.image;
  if (!known) return null;
  const st = await stat(job.upload.path).catch(() => null);
  // A missing file fails the run with its own error; the disk is cleaned up then.
  if (!st) return null;
  return journalMismatch({ path: job.upload.path, stamp: known }, { ...known, fileSize: st.size, mtimeMs: st.mtimeMs });
}

/**
 * Before a download attempt: an earlier run's transfer that is still open keeps the disk locked, so
 * it is finalized (downloads are never cancelled). A run killed while the engine created its transfer
 * never saved the id: then the open download transfer of the job's disk is ours (the job had started
 * an attempt on that disk and the engine allows one transfer per disk), unless it is moving data,
 * which only a live client does. Only a run cut short can have lost the id: a run that ended saved
 * it as soon as the engine answered, so after one that failed — above all on the disk's lock, held by
 * another client's transfer — the disk's open transfer is someone else's and is left alone. Only
 * network trouble is thrown (retry later).
 */
export async function releaseDownload(
  deps: TransferDeps,
  job: QueueJob & { kind: 'download' },
  signal: AbortSignal,
  timeoutMs: number,
  /** Earlier attempts that were cut short (a crash, a kill, a shutdown) and may have lost their transfer's id. */
  earlier: number = job.interruptions,
): Promise<void> {
  if (!job.diskId) return;
  const saved = job.transferId ? await deps.client.transfer(job.transferId, signal) : null;
  const t = saved && !FINISHED.has(saved.phase) ? saved : earlier > 0 ? await unsavedDownload(deps, job.diskId, signal) : null;
  if (!t || FINISHED.has(t.phase)) return;
  deps.log.warn('finalizing the open transfer of an interrupted download', { transfer: t.id, phase: t.phase });
  await finalizeDownload(deps, t.id, job.diskId, signal, timeoutMs);
}

/**
 * Ends a download transfer the way downloads end: finalize, then the engine's word or the disk's
 * status (a download that ends in failure unlocks its disk too). Returns whether the disk is free;
 * only network trouble is thrown.
 */
export async function finalizeDownload(deps: TransferDeps, transferId: string, diskId: string, signal: AbortSignal, timeoutMs: number): Promise<boolean> {
  try {
    await deps.client.finishTransfer(transferId, { diskId, direction: 'download', signal, timeoutMs });
    return true;
  } catch (err) {
    if (err instanceof DiskFerryError && err.retryable) throw err;
    deps.log.warn('the interrupted download transfer did not end cleanly', { transfer: transferId, error: errorMessage(err) });
    return (await deps.client.disk(diskId, signal))?.status === 'ok';
  }
}

/** The open download transfer of a disk that no client is moving data through, if any (see releaseDownload). */
export async function unsavedDownload(deps: TransferDeps, diskId: string, signal: AbortSignal): Promise<ImageTransfer | null> {
  const open = (await deps.client.transfers(signal)).filter((t) => t.diskId === diskId && t.direction === 'download' && !FINISHED.has(t.phase));
  const idle = open.filter((t) => t.active !== true);
  if (open.length > idle.length) deps.log.warn('another client is downloading this disk; leaving its transfer alone', { diskId });
  if (idle.length > 0) deps.log.warn('found the transfer of an interrupted download whose id was not saved', { transfer: idle[0]!.id, phase: idle[0]!.phase });
  return idle[0] ?? null;
}

/** Everything a job left on the engine goes (cancel or removal of a job without a run). Never throws. */
export async function discardJob(deps: TransferDeps, job: QueueJob, timeoutMs: number): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    if (job.kind === 'download') return await releaseDownload(deps, job, signal, timeoutMs);
    if (job.kind === 'backup') return void (await releaseBackup(deps, job));
    if (job.state === 'completed') return;
    if (await restoredDiskKept(deps, job, signal)) return;
    const t = job.transferId ? await deps.client.transfer(job.transferId, signal) : job.diskId ? await unsavedTransfer(deps, job.diskId, signal) : null;
    if (t && !FINISHED.has(t.phase)) await endTransfer(deps, t, signal, timeoutMs);
    if (job.diskId && (await deps.client.disk(job.diskId, signal))) await deleteDiskAndWait(deps, job.diskId, signal, timeoutMs);
    else if (!job.diskId && job.attempts > 0) await removeTaggedDisks(deps, job, signal, timeoutMs);
    await discardJournal(deps, job);
  } catch (err) {
    deps.log.warn('cleaning up after an abandoned job did not complete', { job: job.id, error: errorMessage(err) });
  }
}

/**
 * A restore whose upload the engine finished (its run reached finalize, the transfer ended in success
 * or is gone, the disk is ok) holds the user's data, and its error said the disk is kept (only the
 * attach failed): removing, cancelling or changing the job never deletes it.
 */
async function restoredDiskKept(deps: TransferDeps, job: QueueJob & { kind: 'upload' }, signal: AbortSignal): Promise<boolean> {
  if (!restoreUploaded(job)) return false;
  const t = job.transferId ? await deps.client.transfer(job.transferId, signal) : null;
  if (t && t.phase !== 'finished_success') return false;
  const disk = await deps.client.disk(job.diskId, signal);
  if (disk?.status !== 'ok') return false;
  deps.log.info('keeping the disk a restore job restored', { job: job.id, diskId: disk.id });
  return true;
}

/**
 * A backup job's run left its record in the VM folder (backup/in-progress.ts): its transfers and its
 * backup are finalized and its unfinished run folder removed, as the next run would do first. A
 * snapshot job's run left a pending snapshot record: the snapshots of dead runs are removed.
 */
export async function releaseBackup(deps: TransferDeps, job: QueueJob & { kind: 'backup' }): Promise<string | null> {
  if (job.backup.snapshot) {
    // A snapshot run's leftover is its snapshot, recorded as pending until removed: the records of runs that died go.
    if (!deps.pendingSnapshots) return null;
    const notes = await sweepPendingSnapshots(deps.client, new PendingSnapshots(deps.pendingSnapshots), { timeoutMs: 10 * 60_000 });
    return notes.length > 0 ? notes.join(' ') : null;
  }
  const vm = await resolveVm(deps.client, job.backup.vmId).catch(() => ({ id: job.backup.vmId, name: job.backup.vmName }));
  return endLeftovers(deps, join(job.backup.outputDir, vmFolderName(vm)));
}

/** The open upload transfer of an upload job's own disk whose id the job never saved, if any. */
async function unsavedTransfer(deps: TransferDeps, diskId: string, signal: AbortSignal): Promise<ImageTransfer | null> {
  const open = (await deps.client.transfers(signal)).filter((t) => t.diskId === diskId && t.direction === 'upload' && !FINISHED.has(t.phase));
  if (open.length > 0) deps.log.warn('found the transfer of an interrupted upload whose id was not saved', { transfer: open[0]!.id, phase: open[0]!.phase });
  return open[0] ?? null;
}

/**
 * Ends a transfer that cannot be continued: one being finalized is left to finish (cancelling it
 * could undo a success), any other is cancelled (the engine then deletes an upload's disk).
 */
export async function endTransfer(deps: TransferDeps, t: ImageTransfer, signal: AbortSignal, timeoutMs: number): Promise<ImageTransfer | null> {
  if (t.phase.startsWith('finalizing')) {
    const deadline = deps.now() + timeoutMs;
    for (let cur: ImageTransfer | null = t; ; ) {
      if (!cur || FINISHED.has(cur.phase)) return cur;
      if (deps.now() > deadline) throw new DiskFerryError('timeout', `Transfer ${t.id} is still ${cur.phase}; trying again later.`);
      await sleep(deps.timers, 1000, signal);
      cur = await deps.client.transfer(t.id, signal);
    }
  }
  const end = await deps.client.cancelTransferAndWait(t.id, { signal, timeoutMs });
  return end.phase === 'gone' ? null : { ...t, phase: end.phase };
}

async function deleteDiskAndWait(deps: TransferDeps, diskId: string, signal: AbortSignal, timeoutMs: number): Promise<void> {
  await deps.client.deleteDisk(diskId, signal);
  if (!(await deps.client.waitForDiskGone(diskId, { signal, timeoutMs })))
    throw new DiskFerryError('conflict', `The engine has not removed disk ${diskId} yet; trying again later.`);
}

async function removeTaggedDisks(deps: TransferDeps, job: QueueJob & { kind: 'upload' }, signal: AbortSignal, timeoutMs: number): Promise<void> {
  const name = job.upload.diskName ?? defaultDiskName(job.upload.path);
  const tag = jobTag(job.id);
  const disks = await deps.client.disks({ search: nameSearch(name), signal });
  for (const d of disks.filter((x) => x.name === name && (x.description ?? '').includes(tag))) {
    deps.log.warn('removing a disk an interrupted upload created', { diskId: d.id });
    await deleteDiskAndWait(deps, d.id, signal, timeoutMs);
  }
}
