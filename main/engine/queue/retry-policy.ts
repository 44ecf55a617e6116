import type { DiskFerryError } from '../errors.js';

/** How failed runs are retried. */
export interface RetryPolicy {
  /** Runs in all, the first one included (1 = never retry). */
  readonly maxAttempts: number;
  /** Delay before the first retry; it doubles with each attempt. */
  readonly baseDelayMs: number;
  /** The cap of the delay. */
  readonly maxDelayMs: number;
}

/** Overnight defaults: 6 runs over about ten minutes, so an engine restart or a network blip is ridden out. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 10_000, maxDelayMs: 5 * 60_000 };

/**
 * The delay before the retry that follows attempt `attempt` (1-based): capped exponential backoff
 * with "equal jitter" (half fixed, half random), so many jobs failing together do not come back to
 * the engine at the same instant, yet each still waits a good part of its step.
 */
export function retryDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * Whether another run can help. The error's own flag covers network, 5xx, timeouts and expired
 * sessions. Two more are worth another run for a queue, though not for a one-shot command: a disk
 * locked by another transfer (409; locks end), and a transfer the engine kept in `paused_system`
 * (an upload) or ended (a download: `cancelled_system`) while starting it (it could not set up the
 * ticket; the host may be back later). A ticket gone for
 * good, bad input, a changed image and a failed verification fail at once.
 */
export function isRetryable(err: DiskFerryError): boolean {
  if (err.code === 'cancelled') return false;
  if (err.retryable) return true;
  if (err.code === 'conflict') return true;
  // A download the engine could not set up a ticket for is ended (cancelled_system, then failure), not paused.
  return err.code === 'transfer-failed' && /paused_system|\) while starting it/.test(err.message);
}
