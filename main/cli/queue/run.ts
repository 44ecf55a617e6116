/** Running the queue until nothing is left to do, one line (or JSON object) per event: `queue run`, `download --all`. */
import { errorMessage } from '../../engine/errors.js';
import { DEFAULT_RETRY_POLICY } from '../../engine/queue/retry-policy.js';
import type { QueueSettings } from '../../engine/queue/queue-types.js';
import { parseWindow } from '../../engine/queue/schedule.js';
import { parseInteger, parseRate, parseSeconds, parseWorkers, uploadFlushEvery, type GlobalValues } from '../args.js';
import type { CliContext } from '../context.js';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from '../errors.js';
import { EngineConnections, openQueue } from './open.js';
import { QueueEventPrinter } from './output.js';
import { acquireRunLock, queuePaths, takeInbox } from './ports.js';
import { answerControls } from './control.js';

/** Options of `queue run` (`download --all / --search` runs the queue with its --workers only). */
export const QUEUE_RUN_OPTIONS = {
  window: { type: 'string', multiple: true },
  limit: { type: 'string' },
  'window-limit': { type: 'string' },
  concurrency: { type: 'string', short: 'c' },
  'per-engine': { type: 'string' },
  'per-storage-domain': { type: 'string' },
  retries: { type: 'string' },
  'retry-delay': { type: 'string' },
  workers: { type: 'string', short: 'w' },
} as const;

/** The values of the run options, as parseCommand returns them. */
export type RunValues = { [K in keyof typeof QUEUE_RUN_OPTIONS]?: (typeof QUEUE_RUN_OPTIONS)[K] extends { multiple: true } ? string[] : string };

/** The queue settings the options ask for. */
export function runSettings(values: RunValues): Partial<QueueSettings> {
  const retries = parseInteger(values.retries, '--retries', 0);
  const delay = parseSeconds('--retry-delay', values['retry-delay']);
  return {
    limits: {
      concurrency: parseInteger(values.concurrency, '--concurrency', 1) ?? 2,
      perEngine: parseInteger(values['per-engine'], '--per-engine', 1) ?? null,
      perStorageDomain: parseInteger(values['per-storage-domain'], '--per-storage-domain', 1) ?? null,
    },
    windows: (values.window ?? []).map(parseWindow),
    bandwidth: parseRate(values.limit, '--limit'),
    windowBandwidth: parseRate(values['window-limit'], '--window-limit'),
    retry: {
      ...DEFAULT_RETRY_POLICY,
      ...(retries !== undefined ? { maxAttempts: retries + 1 } : {}),
      ...(delay !== undefined ? { baseDelayMs: delay * 1000, maxDelayMs: Math.max(DEFAULT_RETRY_POLICY.maxDelayMs, delay * 1000) } : {}),
    },
  };
}

/**
 * Owns the queue (the run lock), runs it until idle, picks up jobs `queue add` hands over meanwhile
 * and answers `queue pause|resume|cancel`,
 * and returns the exit code: 0 when every job of the batch completed, 1 when one did not, 130 when
 * interrupted (running jobs are kept: the next run continues them).
 */
export async function runQueueUntilIdle(ctx: CliContext, values: RunValues & GlobalValues): Promise<number> {
  const settings = runSettings(values);
  const workers = parseWorkers(values.workers);
  const flush = uploadFlushEvery();
  const paths = queuePaths();
  const release = await acquireRunLock(paths);
  const connections = new EngineConnections(ctx, values);
  let inboxTimer: NodeJS.Timeout | null = null;
  try {
    const q = await openQueue(ctx, { connections, settings, tuning: { ...(workers !== undefined ? { workers } : {}), ...flush } }, paths);
    const printer = new QueueEventPrinter(ctx.json ? ctx.io.stdout : ctx.io.stderr, ctx.json, ctx.quiet);
    q.on((e) => printer.print(e));
    let polling = false;
    // Not unref'd: it keeps the process up while a paused job's run waits for `queue resume` with
    // nothing else scheduled (the event loop would drain and the run end in silence).
    inboxTimer = setInterval(() => {
      if (polling) return;
      polling = true;
      void takeInbox(paths, ctx.log, q)
        .then(() => answerControls(paths, q, ctx.log))
        .catch((err: unknown) => ctx.log.warn('could not take jobs from the inbox', { error: errorMessage(err) }))
        .finally(() => (polling = false));
    }, 1000);
    // Jobs handed over while no run was active are in the inbox too.
    await takeInbox(paths, ctx.log, q);
    const interrupted = new Promise<'interrupted'>((resolve) => {
      if (ctx.signal.aborted) resolve('interrupted');
      ctx.signal.addEventListener('abort', () => resolve('interrupted'), { once: true });
    });
    q.start();
    const outcome = await Promise.race([q.whenIdle(), interrupted]);
    await q.close();
    if (outcome === 'interrupted') return EXIT_INTERRUPTED;
    return outcome && outcome.totals.failed + outcome.totals.cancelled > 0 ? EXIT_FAILED : EXIT_OK;
  } finally {
    if (inboxTimer) clearInterval(inboxTimer);
    await connections.close();
    await release();
  }
}
