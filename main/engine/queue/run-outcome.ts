import type { DiskFerryError } from '../errors.js';
import type { JobResult, QueueJob } from './job.js';
import { isRetryable, retryDelay, type RetryPolicy } from './retry-policy.js';
import type { JobEvent } from './states.js';

/** Why the queue stopped a run itself, if it did. */
export type StopReason = 'cancel' | 'window' | 'shutdown' | null;

/** What the end of a run means for its job. */
export interface RunOutcome {
  /** The event for nextState; null when the job keeps its state (a shutdown records it later). */
  readonly event: JobEvent | null;
  /** Fields of the job to set. */
  readonly patch: Partial<Pick<QueueJob, 'result' | 'diskId' | 'transferId' | 'progress' | 'error' | 'nextAttemptAt' | 'finishedAt'>>;
  /** A failure for good: the user is told. */
  readonly finalFailure: boolean;
}

/**
 * Decides what the end of a run means, from how it ended and why the queue stopped it. A `cancelled`
 * error is the outcome the queue asked for when it stopped the run (cancel, window, shutdown);
 * any other error is a failure, retried while it is retryable and attempts are left. Pure.
 */
export function runOutcome(o: {
  readonly job: QueueJob;
  readonly stop: StopReason;
  readonly result: JobResult | null;
  readonly error: DiskFerryError | null;
  readonly retry: RetryPolicy;
  readonly now: number;
  readonly random: () => number;
}): RunOutcome {
  const { job, stop, result, error, now } = o;
  if (result) {
    const progress = { bytesDone: result.virtualSize, bytesTotal: result.virtualSize, bytesOnWire: result.bytesOnWire, rate: null };
    return { event: { type: 'succeeded' }, patch: { result, diskId: result.diskId, transferId: null, progress, finishedAt: now, error: null }, finalFailure: false };
  }
  if (!error || stop === 'shutdown') return { event: null, patch: {}, finalFailure: false };
  if (stop === 'cancel' || (stop === null && error.code === 'cancelled')) return { event: { type: 'cancel' }, patch: { finishedAt: now, error: error.toInfo() }, finalFailure: false };
  if (stop === 'window' && error.code === 'cancelled') return { event: { type: 'held' }, patch: {}, finalFailure: false };
  // An attempt a crash or shutdown cut short was no failure of the job.
  const tries = job.attempts - job.interruptions;
  const retry = isRetryable(error) && tries < o.retry.maxAttempts;
  return {
    event: { type: 'failed', retry },
    patch: { error: error.toInfo(), nextAttemptAt: retry ? now + retryDelay(tries, o.retry, o.random) : null, finishedAt: retry ? null : now },
    finalFailure: !retry,
  };
}
