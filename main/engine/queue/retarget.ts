/**
 * A job sent somewhere else: an upload to another storage domain, disk name or format, a download
 * to another file. The caller has checked the new target with the plan's rules (main/engine/plan/),
 * as for a new job; here the job is checked to be one that may change now, and its record made
 * fresh for the new target. Pure.
 */
import { DiskFerryError } from '../errors.js';
import { downloadTarget, restoreUploaded, workKey, type DownloadTargetInput, type QueueJob, type UploadTarget } from './job.js';
import { isPending, isTerminal } from './states.js';

/** What a job is changed to; the kind is the job's own. */
export type Retarget =
  | { readonly kind: 'upload'; readonly upload: UploadTarget; readonly storageDomainKey: string | null; readonly label?: string }
  | { readonly kind: 'download'; readonly download: DownloadTargetInput; readonly label?: string };

/**
 * True when a job in this state may be changed: it failed or was cancelled, or waits its turn (queued,
 * waiting for the window, retrying later), and is not a restore whose disk is already on the engine.
 * A job the window holds mid-run is refused by the queue.
 */
export function canRetarget(job: QueueJob): boolean {
  return (job.state === 'failed' || job.state === 'cancelled' || isPending(job.state)) && !restoreUploaded(job);
}

/**
 * The job with its new target and nothing of the old one: no disk or transfer of an earlier attempt
 * (a download keeps its disk), no progress, error or notes, attempts counted afresh. Throws `conflict`
 * for a job that cannot change now, `bad-input` for another kind or a target another unfinished
 * job of `others` already has.
 */
export function retargetedJob(job: QueueJob, target: Retarget, others: readonly QueueJob[]): QueueJob {
  if (restoreUploaded(job))
    throw new DiskFerryError(
      'conflict',
      `${job.label} is already restored on the engine (disk ${job.diskId}); only attaching it failed. Retry attaches that disk without uploading it again. To restore it elsewhere instead, remove this job (the restored disk is kept) and restore again.`,
      { retryable: false },
    );
  if (!canRetarget(job)) throw new DiskFerryError('conflict', `${job.label} is ${job.state} and cannot be changed now.`, { retryable: false });
  if (target.kind !== job.kind) throw new DiskFerryError('bad-input', `${job.label} is ${job.kind === 'upload' ? 'an upload' : 'a download'} and stays one.`, { retryable: false });
  const fresh = {
    transferId: null,
    finalizing: false,
    progress: { bytesDone: 0, bytesTotal: job.kind === 'download' ? job.progress.bytesTotal : null, bytesOnWire: 0, rate: null },
    error: null,
    result: null,
    finishedResult: null,
    notes: [],
    attempts: 0,
    interruptions: 0,
    nextAttemptAt: null,
    finishedAt: null,
    reportedAt: null,
    activeMs: 0,
  };
  const next: QueueJob =
    target.kind === 'upload' && job.kind === 'upload'
      ? { ...job, ...fresh, diskId: null, upload: { ...target.upload }, storageDomainKey: target.storageDomainKey, label: target.label ?? target.upload.diskName ?? job.label }
      : target.kind === 'download' && job.kind === 'download'
        ? { ...job, ...fresh, download: downloadTarget(target.download), label: target.label ?? job.label }
        : job;
  const key = workKey(next);
  const clash = others.find((o) => o.id !== job.id && !isTerminal(o.state) && workKey(o) === key);
  if (clash) throw new DiskFerryError('bad-input', `${clash.label} is already in the queue with that target (job ${clash.id}). Choose another.`, { retryable: false });
  return next;
}
