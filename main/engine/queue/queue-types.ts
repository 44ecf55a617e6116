/** The settings, ports and events of the TransferQueue (transfer-queue.ts). */
import type { TransferState } from '../../../shared/model.js';
import { DiskFerryError } from '../errors.js';
import type { Log } from '../log.js';
import type { Timers } from '../timers.js';
import type { QueueJob } from './job.js';
import { DEFAULT_LIMITS, type ConcurrencyLimits } from './limits.js';
import type { NotificationPort, PowerPort } from './ports.js';
import type { ReportSink, RunReport } from './report.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
import type { JobRunner } from './runner.js';
import { validateWindow, type Calendar, type ScheduleWindow } from './schedule.js';
import type { QueueStore } from './store.js';
import type { TokenBucketPorts } from './token-bucket.js';

/** What the queue decides by; change them with `TransferQueue.updateSettings`. */
export interface QueueSettings {
  readonly limits: ConcurrencyLimits;
  /** When `window` jobs may run; empty = always. */
  readonly windows: readonly ScheduleWindow[];
  /** Bytes per second for all transfers together; null = unlimited. */
  readonly bandwidth: number | null;
  /** The limit while the window is open, when it differs; null = `bandwidth`. */
  readonly windowBandwidth: number | null;
  readonly retry: RetryPolicy;
}

/** Two transfers at once, no window, no bandwidth limit, the default retries. */
export const DEFAULT_QUEUE_SETTINGS: QueueSettings = { limits: DEFAULT_LIMITS, windows: [], bandwidth: null, windowBandwidth: null, retry: DEFAULT_RETRY_POLICY };

/** The side effects of the queue, built by a composition root. */
export interface QueuePorts {
  readonly store: QueueStore;
  readonly runner: JobRunner;
  /** The queue's clock and timers: schedule window, retry backoff, periodic saves. */
  readonly now: () => number;
  readonly timers: Timers;
  readonly log: Log;
  readonly power?: PowerPort;
  readonly notifications?: NotificationPort;
  /** Where reports go besides the history (files). */
  readonly reports?: ReportSink;
  /** Local time for the window; default the host's time zone. */
  readonly calendar?: Calendar;
  /** Jitter source in [0, 1); default Math.random. */
  readonly random?: () => number;
  /** Job and report ids; default random UUIDs. */
  readonly newId?: () => string;
  /**
   * Clock and timers of the bandwidth limit; default `now` and `timers`. Tests that fake the
   * schedule clock keep real ones here, because the limit paces real bytes.
   */
  readonly bandwidthClock?: TokenBucketPorts;
  /** At most one progress event per job this often (default 500 ms); state changes are sent at once. */
  readonly progressIntervalMs?: number;
  /** Progress of running jobs is saved this often (default 2000 ms); state changes are saved at once. */
  readonly saveIntervalMs?: number;
  /** How long close() waits for runs to stop cleanly (default 20 s). */
  readonly closeGraceMs?: number;
}

/** What the queue tells its listeners. Jobs are immutable snapshots. */
export type QueueEvent =
  | { readonly type: 'added'; readonly job: QueueJob }
  /** A job's state changed (every transition, at once). */
  | { readonly type: 'state'; readonly job: QueueJob; readonly from: TransferState }
  /** A running job's progress (coalesced). */
  | { readonly type: 'progress'; readonly job: QueueJob }
  /** Something else of a job changed (ids, notes, priority). */
  | { readonly type: 'updated'; readonly job: QueueJob }
  | { readonly type: 'removed'; readonly jobId: string }
  /** The queue order changed: all job ids in the new order. */
  | { readonly type: 'reordered'; readonly order: readonly string[] }
  /** The schedule window opened or closed (also sent once when the queue starts). */
  | { readonly type: 'window'; readonly open: boolean; readonly nextChangeAt: number | null }
  /** Nothing runs and nothing pending can start by itself; the batch's report, null when no job ended. */
  | { readonly type: 'idle'; readonly report: RunReport | null };

/** A listener; returned unsubscribe functions remove it. */
export type QueueListener = (event: QueueEvent) => void;

/** Checks settings from a caller (the app's settings page, CLI options); throws `bad-input`. */
export function checkSettings(s: QueueSettings): QueueSettings {
  const positive = (n: number | null, what: string) => {
    if (n !== null && !(Number.isInteger(n) && n >= 1)) throw new DiskFerryError('bad-input', `${what} must be a whole number of at least 1.`, { retryable: false });
  };
  positive(s.limits.concurrency, 'The concurrency');
  positive(s.limits.perEngine, 'The per-engine limit');
  positive(s.limits.perStorageDomain, 'The per-storage-domain limit');
  positive(s.retry.maxAttempts, 'The number of attempts');
  for (const w of s.windows) validateWindow(w);
  for (const b of [s.bandwidth, s.windowBandwidth])
    if (b !== null && !(b > 0)) throw new DiskFerryError('bad-input', 'A bandwidth limit must be more than 0 bytes per second.', { retryable: false });
  return s;
}
