import type { ImageTransfer, EngineVersion } from '../ovirt/types.js';
import { needsSignedTicket } from '../ovirt/versions.js';
import { openImageio, type ImageioSession } from '../imageio/session.js';
import type { PlannedRange } from '../imageio/plan.js';
import type { RangeSet } from '../../../shared/range-set.js';
import { DiskFerryError } from '../errors.js';
import { sleep } from '../timers.js';
import type { TransferDeps, TransferOptions, TransferTuning } from './deps.js';
import { KeepAlive } from './keep-alive.js';
import { ProgressTracker } from './progress-tracker.js';
import { TransferControl } from './control.js';

/** An open transfer: the engine's ImageTransfer, the data plane, and the keep-alive that spans both. */
export interface OpenSession {
  readonly transfer: ImageTransfer;
  readonly imageio: ImageioSession;
  readonly keepAlive: KeepAlive;
}

/** The per-run state both directions start with. */
export function beginRun(deps: TransferDeps, options: TransferOptions): { control: TransferControl; tuning: TransferTuning; tracker: ProgressTracker; timeoutMs: number } {
  const tuning = options.tuning ?? {};
  const tracker = new ProgressTracker(deps.now, options.onProgress ?? (() => {}));
  tracker.setState('preparing');
  return { control: options.control ?? new TransferControl(), tuning, tracker, timeoutMs: tuning.engineTimeoutMs ?? DEFAULT_ENGINE_TIMEOUT_MS };
}

/** Default time to wait for each engine step (phase steps take up to ~10 s; disk creation can take minutes). */
export const DEFAULT_ENGINE_TIMEOUT_MS = 5 * 60_000;

/** Waits until the new transfer is `transferring`, opens the data plane and starts the keep-alive. */
export async function openSession(
  deps: TransferDeps,
  transfer: ImageTransfer,
  version: EngineVersion,
  tuning: TransferTuning,
  control: TransferControl,
  tracker: ProgressTracker,
): Promise<OpenSession> {
  tracker.setState('initializing');
  const ready = await deps.client.waitForTransferReady(transfer.id, {
    signal: control.cancelSignal,
    timeoutMs: tuning.engineTimeoutMs ?? DEFAULT_ENGINE_TIMEOUT_MS,
  });
  const imageio = await openImageio({
    transferUrl: ready.transferUrl,
    proxyUrl: ready.proxyUrl,
    signedTicket: needsSignedTicket(version) ? ready.signedTicket : null,
    trust: deps.trust,
    preferProxy: tuning.preferProxy ?? false,
    log: deps.log,
    signal: control.cancelSignal,
  });
  const keepAlive = new KeepAlive(
    deps.timers,
    {
      extend: () => deps.client.extendTransfer(transfer.id),
      ping: () => imageio.options(control.cancelSignal),
    },
    deps.log,
    ready.inactivityTimeout ?? tuning.inactivityTimeout ?? 60,
  );
  keepAlive.start();
  return { transfer: ready, imageio, keepAlive };
}

/** How many times a refused ticket (403) may be recovered through the engine in one data phase. */
const MAX_TICKET_RECOVERIES = 3;

/**
 * Runs the data phase with pause support: `run` gets the ranges still to do and a signal that pause
 * aborts. While paused, `onPause` runs (engine pause for uploads), the keep-alive pings the ticket,
 * and after resume `onResume` runs before the remaining ranges go again. When imageio refuses the
 * ticket (403: expired or removed), imageio cannot say why, so the engine is asked through
 * `recoverTicket`: if the transfer is still alive the remaining ranges go again.
 */
export async function runDataPhase(options: {
  plan: readonly PlannedRange[];
  control: TransferControl;
  tracker: ProgressTracker;
  session: OpenSession;
  done: RangeSet;
  run: (remaining: PlannedRange[], signal: AbortSignal) => Promise<void>;
  onPause?: () => Promise<void>;
  onResume?: () => Promise<void>;
  recoverTicket?: (attempt: number) => Promise<boolean>;
}): Promise<void> {
  const { control, tracker, session, done } = options;
  let recoveries = 0;
  for (;;) {
    control.throwIfCancelled();
    const remaining = remainingRanges(options.plan, done);
    tracker.setState('transferring');
    session.keepAlive.setDataFlowing(true);
    const runSignal = control.runSignal;
    try {
      await options.run(remaining, runSignal);
      return;
    } catch (err) {
      if (control.cancelled) throw err;
      // Only a pause aborts the run signal (besides cancel); a resume may already have followed it.
      if (!runSignal.aborted) {
        const gone = err instanceof DiskFerryError && err.code === 'ticket-gone';
        if (!gone || !options.recoverTicket || recoveries >= MAX_TICKET_RECOVERIES) throw err;
        recoveries++;
        session.keepAlive.setDataFlowing(false);
        tracker.setState('retrying');
        if (!(await options.recoverTicket(recoveries))) throw err;
        continue;
      }
    } finally {
      session.keepAlive.setDataFlowing(false);
    }
    // Paused and resumed before the data phase had stopped: go on with what is left.
    if (!control.paused) continue;
    tracker.setState('paused');
    await options.onPause?.();
    await session.keepAlive.tick();
    await control.waitForResume();
    await options.onResume?.();
  }
}

/**
 * The parts of the plan not yet in `done`: whole ranges that were not started, and the missing
 * pieces of ranges that were partly written (a resumed or paused download fetches only those).
 */
export function remainingRanges(plan: readonly PlannedRange[], done: RangeSet): PlannedRange[] {
  const out: PlannedRange[] = [];
  for (const r of plan) for (const g of done.gaps(r.start, r.start + r.length)) out.push({ start: g.start, length: g.end - g.start, zero: r.zero });
  return out;
}

/**
 * After imageio refused the ticket: asks the engine whether the transfer is still alive. A transfer
 * the engine paused (for example after a failed ticket extension) is resumed; one still transferring
 * gets its ticket refreshed by the engine. Returns false when the transfer has ended.
 */
export async function recoverTransferTicket(deps: TransferDeps, transferId: string, signal: AbortSignal, timeoutMs: number, attempt = 1): Promise<boolean> {
  // The engine refreshes tickets on its own poll (up to ~10 s apart): give it time before asking.
  await sleep(deps.timers, Math.min(10_000, 500 * 2 ** attempt), signal);
  const t = await deps.client.transfer(transferId, signal);
  if (!t) return false;
  deps.log.warn('imageio refused the ticket; asking the engine', { phase: t.phase });
  if (t.phase === 'paused_system' || t.phase === 'paused_user') await deps.client.resumeTransfer(transferId, signal);
  else if (t.phase !== 'transferring' && t.phase !== 'resuming') return false;
  await deps.client.extendTransfer(transferId, signal).catch(() => {});
  await deps.client.waitForTransferReady(transferId, { signal, timeoutMs });
  return true;
}

/** Text for "what happened to the disk" after a failed or cancelled upload. */
export function diskFateAfterUploadFailure(diskName: string, deleted: boolean | null): string {
  if (deleted === true) return `The engine deleted the disk '${diskName}'.`;
  if (deleted === false) return `The disk '${diskName}' may still exist and be locked or illegal: check it in the oVirt Administration Portal and remove it.`;
  return '';
}

/** The same error with a sentence added, keeping the code and retryable flag. */
export function withContext(err: DiskFerryError, suffix: string): DiskFerryError {
  if (!suffix) return err;
  return new DiskFerryError(err.code, `${err.message} ${suffix}`.trim(), { cause: err, retryable: err.retryable, ...(err.status !== undefined ? { status: err.status } : {}) });
}
