import type { RangeSet } from '../../../shared/range-set.js';
import { DiskFerryError } from '../errors.js';
import { VERIFY_OFF } from '../image/verify.js';
import type { PlannedRange } from '../imageio/plan.js';
import { openImageio } from '../imageio/session.js';
import type { EngineVersion, ImageTransfer } from '../ovirt/types.js';
import { needsSignedTicket } from '../ovirt/versions.js';
import { sleep } from '../timers.js';
import { TransferControl } from './control.js';
import { DEFAULT_ENGINE_TIMEOUT_MS, type TransferDeps, type TransferOptions } from './deps.js';
import { KeepAlive } from './keep-alive.js';
import { ProgressTracker } from './progress-tracker.js';
import type { DataPlan, DataSession, RunContext, RunTarget, TransferStrategy } from './strategy.js';
import { completedRun, type CompletedRun } from './transfer-report.js';

/** How many times a refused ticket (403) may be recovered through the engine in one step. */
const MAX_TICKET_RECOVERIES = 3;

/**
 * One transfer from start to end, either direction: local checks, the disk, the engine's transfer,
 * the data plane and its keep-alive, the data phase with pause, resume and recovery of a refused
 * ticket, verification, finalize, the report, and the clean-up of every path. What differs between
 * an upload and a download comes from its strategy, whose steps are called in order and return.
 */
export class TransferRun {
  private readonly ctx: RunContext;
  private transferId: string | null = null;
  private session: DataSession | null = null;
  private keepAlive: KeepAlive | null = null;
  private started = false;

  constructor(
    private readonly deps: TransferDeps,
    private readonly options: TransferOptions = {},
  ) {
    const tuning = options.tuning ?? {};
    const tracker = new ProgressTracker(deps.now, options.onProgress ?? (() => {}));
    tracker.setState('preparing');
    this.ctx = {
      deps,
      control: options.control ?? new TransferControl(),
      tuning,
      tracker,
      timeoutMs: tuning.engineTimeoutMs ?? DEFAULT_ENGINE_TIMEOUT_MS,
      // The wait for the limit belongs to the rate: a resumed upload's time in line is its share.
      throttle: throttleOf(options.throttle, tracker),
      created: async (ids) => {
        await options.onCreated?.(ids);
      },
    };
  }

  /** Runs the transfer to its end (once per TransferRun); throws the strategy's error after cleaning up. */
  async run<R>(strategy: TransferStrategy<R>): Promise<R & CompletedRun> {
    if (this.started) throw new DiskFerryError('internal', 'A TransferRun runs once; build a new one for the next attempt.', { retryable: false });
    this.started = true;
    const { ctx, deps } = this;
    const { control, tracker } = ctx;
    const startedAt = deps.now();
    try {
      await strategy.inspect(ctx);
      const version = await deps.client.version();
      const target = await strategy.prepare(ctx, version);
      const transfer = target.transfer ?? (await this.createTransfer(strategy.direction, target));
      this.transferId = transfer.id;
      const session = await this.open(transfer, version);
      tracker.setConnection(Math.min(ctx.tuning.workers ?? 4, strategy.direction === 'upload' ? session.imageio.maxWriters : session.imageio.maxReaders), session.imageio.viaProxy);
      // The first request after OPTIONS may already meet an expired ticket (legacy servers read the size with a GET).
      const plan = await this.withTicketRecovery(() => strategy.openData(ctx, session));
      await this.dataPhase(strategy, session, plan);

      // The tail after the data is a state of its own: nothing moves, and it may take a while.
      tracker.setState('verifying');
      // Before finalize: a mismatch fails the run, so neither the disk nor the file is kept as good.
      const verification = await strategy.verify(ctx, session);
      if (verification !== VERIFY_OFF && verification.verified === null) deps.log.info(verification.note);
      tracker.setState('finalizing');
      await this.closeSession();
      await deps.client.finishTransfer(transfer.id, { diskId: target.disk.id, direction: strategy.direction, signal: control.cancelSignal, timeoutMs: ctx.timeoutMs });
      const { result, report } = await strategy.complete(ctx);
      tracker.setState('completed');
      const snap = tracker.snapshot();
      return {
        ...result,
        ...completedRun({
          direction: strategy.direction,
          ...report,
          bytesOnWire: snap.bytesOnWire,
          verification,
          startedAt,
          finishedAt: deps.now(),
          elapsedMs: snap.elapsedMs,
          dataPhaseMs: tracker.dataPhaseMs,
          viaProxy: session.imageio.viaProxy,
        }),
      };
    } catch (err) {
      tracker.setState(control.cancelled ? 'cancelled' : 'failed');
      await this.closeSession();
      throw await strategy.abandon(ctx, err, this.transferId);
    } finally {
      await this.closeSession();
      await strategy.close();
    }
  }

  /** Creates the engine's transfer for the prepared disk and reports its id before anything else. */
  private async createTransfer(direction: 'upload' | 'download', target: RunTarget): Promise<ImageTransfer> {
    const { tuning } = this.ctx;
    await this.options.beforeTransfer?.(target.disk.id);
    const transfer = await this.deps.client.createTransfer({
      ...(target.snapshotVolumeId !== undefined ? { snapshotId: target.snapshotVolumeId } : { diskId: target.disk.id }),
      direction,
      ...(target.transferFormat ? { format: target.transferFormat } : {}),
      ...(target.backupId !== undefined ? { backupId: target.backupId } : {}),
      ...(tuning.inactivityTimeout !== undefined ? { inactivityTimeout: tuning.inactivityTimeout } : {}),
    });
    this.transferId = transfer.id;
    await this.ctx.created({ diskId: target.disk.id, transferId: transfer.id });
    return transfer;
  }

  /** Waits until the transfer is `transferring`, opens the data plane and starts the keep-alive. */
  private async open(transfer: ImageTransfer, version: EngineVersion): Promise<DataSession> {
    const { deps, ctx } = this;
    const { control, tuning } = ctx;
    ctx.tracker.setState('initializing');
    const ready = await deps.client.waitForTransferReady(transfer.id, { signal: control.cancelSignal, timeoutMs: ctx.timeoutMs });
    const imageio = await openImageio({
      transferUrl: ready.transferUrl,
      proxyUrl: ready.proxyUrl,
      signedTicket: needsSignedTicket(version) ? ready.signedTicket : null,
      trust: deps.trust,
      ...(deps.client.httpProxy ? { proxy: deps.client.httpProxy } : {}),
      preferProxy: tuning.preferProxy ?? false,
      log: deps.log,
      signal: control.cancelSignal,
      ...(deps.rangedGets ? { rangedGets: deps.rangedGets } : {}),
    });
    this.session = { transfer: ready, imageio };
    this.keepAlive = new KeepAlive(
      deps.timers,
      { extend: () => deps.client.extendTransfer(transfer.id), ping: () => imageio.options(control.cancelSignal) },
      deps.log,
      ready.inactivityTimeout ?? tuning.inactivityTimeout ?? 60,
    );
    this.keepAlive.start();
    return this.session;
  }

  /** Stops the keep-alive and closes the data connections (once; later calls do nothing). */
  private async closeSession(): Promise<void> {
    this.keepAlive?.stop();
    this.keepAlive = null;
    const session = this.session;
    this.session = null;
    await session?.imageio.close().catch(() => {});
  }

  /**
   * The data phase: the strategy moves what is left of the plan with a signal that pause aborts.
   * While paused the keep-alive pings the ticket (and an upload's engine transfer is paused); after
   * resume the rest goes. A ticket imageio refuses (403) is recovered through the engine, a few times.
   */
  private async dataPhase<R>(strategy: TransferStrategy<R>, session: DataSession, plan: DataPlan): Promise<void> {
    const { control, tracker } = this.ctx;
    const keepAlive = this.keepAlive!;
    let recoveries = 0;
    for (;;) {
      control.throwIfCancelled();
      const remaining = remainingRanges(plan.ranges, plan.done);
      tracker.setData(...dataCounts(plan));
      tracker.setState('transferring');
      keepAlive.setDataFlowing(true);
      const runSignal = control.runSignal;
      try {
        await strategy.move(this.ctx, session, remaining, runSignal);
        return;
      } catch (err) {
        if (control.cancelled) throw err;
        // Only a pause aborts the run signal (besides cancel); a resume may already have followed it.
        if (!runSignal.aborted) {
          if (!isTicketGone(err) || recoveries >= MAX_TICKET_RECOVERIES) throw err;
          recoveries++;
          keepAlive.setDataFlowing(false);
          tracker.setState('retrying');
          if (!(await this.recoverTicket(recoveries))) throw err;
          continue;
        }
      } finally {
        keepAlive.setDataFlowing(false);
      }
      // Paused and resumed before the data phase had stopped: go on with what is left.
      if (!control.paused) continue;
      await this.pause(strategy.pausesEngine);
    }
  }

  /** Waits out a pause: the engine's transfer paused too when the strategy wants it, the ticket pinged. */
  private async pause(engineToo: boolean): Promise<void> {
    const { deps, ctx } = this;
    const id = this.transferId!;
    ctx.tracker.setState('paused');
    if (engineToo) await deps.client.pauseTransfer(id);
    await this.keepAlive!.tick();
    await ctx.control.waitForResume();
    if (!engineToo) return;
    await deps.client.resumeTransfer(id);
    await deps.client.waitForTransferReady(id, { signal: ctx.control.cancelSignal, timeoutMs: ctx.timeoutMs });
  }

  /** Runs `step`; when imageio refuses the ticket (403), recovers it through the engine and runs it again, a few times. */
  private async withTicketRecovery<T>(step: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (err) {
        if (!isTicketGone(err) || attempt > MAX_TICKET_RECOVERIES || !(await this.recoverTicket(attempt))) throw err;
      }
    }
  }

  /**
   * After imageio refused the ticket, which it cannot explain: asks the engine whether the transfer
   * is still alive. One the engine paused (for example after a failed ticket extension) is resumed;
   * one still transferring gets its ticket refreshed. Returns false when the transfer has ended.
   */
  private async recoverTicket(attempt: number): Promise<boolean> {
    const { client, log, timers } = this.deps;
    const { control, timeoutMs } = this.ctx;
    const id = this.transferId!;
    const signal = control.cancelSignal;
    // The engine refreshes tickets on its own poll (up to ~10 s apart): give it time before asking.
    await sleep(timers, Math.min(10_000, 500 * 2 ** attempt), signal);
    const t = await client.transfer(id, signal);
    if (!t) return false;
    log.warn('imageio refused the ticket; asking the engine', { phase: t.phase });
    if (t.phase === 'paused_system' || t.phase === 'paused_user') await client.resumeTransfer(id, signal);
    else if (t.phase !== 'transferring' && t.phase !== 'resuming') return false;
    await client.extendTransfer(id, signal).catch(() => {});
    await client.waitForTransferReady(id, { signal, timeoutMs });
    return true;
  }
}

/** The plan's data (not hole) bytes, and how many of them are done: what the percentage and time left count. */
export function dataCounts(plan: DataPlan): [total: number, done: number] {
  let total = 0;
  let missing = 0;
  for (const r of plan.ranges) {
    if (r.zero) continue;
    total += r.length;
    for (const g of plan.done.gaps(r.start, r.start + r.length)) missing += g.end - g.start;
  }
  return [total, total - missing];
}

function isTicketGone(err: unknown): boolean {
  return err instanceof DiskFerryError && err.code === 'ticket-gone';
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

/** The run's throttle, telling the tracker each time it claims bandwidth; null without a limit. */
function throttleOf(throttle: TransferOptions['throttle'], tracker: ProgressTracker): RunContext['throttle'] {
  if (!throttle) return null;
  return (bytes, signal) => {
    tracker.claimBandwidth();
    return throttle(bytes, signal);
  };
}
