import { DiskFerryError } from '../errors.js';

/** Waits `ms` milliseconds, rejecting early when the signal aborts. Injected so tests run without real delays. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** How often and how patiently a failed idempotent request is repeated. */
export interface RetryPolicy {
  /** Total attempts, including the first one. */
  readonly attempts: number;
  /** Delay before the second retry; it doubles each time (the first retry after a network error is immediate). */
  readonly baseDelayMs: number;
  /** Cap of the exponential delay. */
  readonly maxDelayMs: number;
}

/** The default policy: 5 attempts, 250 ms doubling up to 5 s, with jitter. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 5_000 };

/** The error thrown when a request stops because its AbortSignal fired. */
export function cancelledError(): DiskFerryError {
  return new DiskFerryError('cancelled', 'The transfer was cancelled.', { retryable: false });
}

/** A Sleep on real timers (for composition roots). */
export const timerSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(cancelledError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelledError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Delay before retry number `retry` (1-based): capped exponential with "equal jitter", so parallel
 * workers that failed together do not come back together. The first retry after a network error is
 * immediate: the usual cause is a keep-alive connection the server closed while it was idle.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number, immediateFirst: boolean): number {
  if (immediateFirst && retry === 1) return 0;
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(exp / 2 + (random() * exp) / 2);
}
