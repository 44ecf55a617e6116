/**
 * Time for the engine client: waits through the injected Timers port (so tests drive every delay)
 * and the retry policy of idempotent requests.
 */
import { DiskFerryError } from '../errors.js';
import { sleep, type Timers } from '../timers.js';

/** How often a failed GET is repeated, and how long to wait in between. */
export interface RetryPolicy {
  /** Total attempts, the first one included. */
  readonly attempts: number;
  /** Delay before the first retry; doubles each time. */
  readonly baseDelayMs: number;
  /** Cap of the delay. */
  readonly maxDelayMs: number;
}

/** 4 attempts, 500 ms doubling up to 8 s, with jitter: rides out an engine restart's first seconds. */
export const DEFAULT_ENGINE_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 8_000 };

/**
 * Delay before retry number `retry` (1-based): capped exponential with "equal jitter" (half fixed,
 * half random), so clients that failed together do not hammer a recovering engine together.
 */
export function retryDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/** Waits `ms` on the injected timers; an abort becomes a `cancelled` DiskFerryError naming `what`. */
export async function wait(timers: Timers, ms: number, signal: AbortSignal, what: string): Promise<void> {
  try {
    await sleep(timers, ms, signal);
  } catch (err) {
    if (err instanceof DiskFerryError) throw err;
    throw new DiskFerryError('cancelled', `${what} was cancelled.`, { cause: err, retryable: false });
  }
}
