import type { TransferProgress, TransferState } from '../../../shared/model.js';
import { asDiskFerryError, DiskFerryError } from '../errors.js';
import { TransferControl } from '../transfer/control.js';
import type { JobResult } from './job.js';
import type { JobBook } from './job-book.js';
import { noNotifications, noPower } from './ports.js';
import type { QueuePorts } from './queue-types.js';
import type { RetryPolicy } from './retry-policy.js';
import { runOutcome, type StopReason } from './run-outcome.js';
import type { RunContext } from './runner.js';
import { nextState, type RunPhase } from './states.js';

/** One attempt in progress. */
export interface Run {
  readonly control: TransferControl;
  /** Time spent running, up to `since` (paused or held time does not count). */
  activeMs: number;
  since: number;
  /** Why the queue stopped the run, if it did: the outcome then means that, not a failure. */
  stop: StopReason;
  /** The data phase is paused (by the user or the window); the run keeps its engine session. */
  paused: boolean;
  /** Resolved when the transfer reports `paused` (its engine session is paused). */
  pausedAck: (() => void) | null;
  settled: Promise<void>;
}

/** What the runs ask of the queue that owns them. */
export interface RunsHost {
  /** The shared bandwidth limit. */
  readonly throttle: (bytes: number, signal: AbortSignal) => Promise<void>;
  readonly retry: () => RetryPolicy;
  /** The queue is closing: an outcome other than success is left to close(). */
  readonly closed: () => boolean;
  /** A run ended and its outcome is applied: look at what may start now. */
  readonly ended: () => void;
}

const RUN_PHASES: ReadonlySet<TransferState> = new Set<RunPhase>(['preparing', 'initializing', 'transferring', 'finalizing', 'verifying']);

/**
 * The queue's attempts in progress: starting one through the runner port, following its progress,
 * applying its outcome (retry, failure, stop) when it ends, pausing and resuming its data phase, and
 * keeping the host awake while data moves. The queue decides which job runs, pauses or stops.
 */
export class ActiveRuns {
  private readonly runs = new Map<string, Run>();
  private readonly lastProgress = new Map<string, number>();
  private saveTimer: unknown = null;
  private awake = false;

  constructor(
    private readonly book: JobBook,
    private readonly ports: QueuePorts,
    private readonly host: RunsHost,
  ) {}

  /** How many runs are in progress. */
  get size(): number {
    return this.runs.size;
  }

  /** The run of a job, if it has one. */
  get(id: string): Run | undefined {
    return this.runs.get(id);
  }

  /** Whether a job has a run. */
  has(id: string): boolean {
    return this.runs.has(id);
  }

  /** Every run by job id. */
  entries(): IterableIterator<[string, Run]> {
    return this.runs.entries();
  }

  /** Starts an attempt of a queued job. */
  start(id: string): void {
    const now = this.ports.now();
    const run: Run = { control: new TransferControl(), activeMs: 0, since: now, stop: null, paused: false, pausedAck: null, settled: Promise.resolve() };
    this.runs.set(id, run);
    this.book.update(id, (j) => ({ ...j, attempts: j.attempts + 1, startedAt: j.startedAt ?? now, nextAttemptAt: null, error: null }));
    this.book.apply(id, { type: 'start' });
    const persistence = this.book.persistence;
    if (this.saveTimer === null) this.saveTimer = this.ports.timers.setInterval(() => persistence.saveIfDirty(), this.ports.saveIntervalMs ?? 2000);
    const ctx: RunContext = {
      control: run.control,
      throttle: this.host.throttle,
      onProgress: (p) => this.onProgress(id, run, p),
      remember: (ids) => this.remember(id, ids),
      note: (text) => this.addNote(id, text),
    };
    run.settled = (async () => {
      // The attempt is on disk before the engine is touched: recovery counts on it.
      await persistence.saveNow();
      if (run.stop !== null) throw new DiskFerryError('cancelled', 'Stopped before it began.', { retryable: false });
      return this.ports.runner.run(this.book.get(id), ctx);
    })().then(
      (result) => this.end(id, run, result, null),
      (err: unknown) => this.end(id, run, null, asDiskFerryError(err)),
    );
  }

  /** Stops a run's data phase (user pause, end of window, shutdown); its paused time does not count as running. */
  pause(run: Run): void {
    if (run.paused) return;
    run.paused = true;
    run.activeMs += Math.max(0, this.ports.now() - run.since);
    run.control.pause();
  }

  /** Lets a paused run move data again. */
  resume(run: Run): void {
    if (!run.paused) return;
    run.paused = false;
    run.since = this.ports.now();
    run.control.resume();
  }

  /** Keeps the host awake exactly while some run moves data. */
  updateAwake(): void {
    const moving = [...this.runs].some(([id, run]) => !run.paused && run.stop === null && this.book.get(id).state === 'transferring');
    this.setAwake(moving);
  }

  /** Tells the power port, on a change only. */
  setAwake(awake: boolean): void {
    if (awake === this.awake) return;
    this.awake = awake;
    (this.ports.power ?? noPower).setAwake(awake);
  }

  /** Stops the periodic save of progress (the queue closes). */
  stopSaving(): void {
    if (this.saveTimer !== null) this.ports.timers.clearInterval(this.saveTimer);
  }

  private end(id: string, run: Run, result: JobResult | null, error: DiskFerryError | null): void {
    if (this.runs.get(id) !== run) return;
    this.runs.delete(id);
    if (!this.book.has(id)) return;
    const now = this.ports.now();
    const ran = run.activeMs + (run.paused ? 0 : Math.max(0, now - run.since));
    this.book.update(id, (j) => ({ ...j, activeMs: j.activeMs + ran }));
    // After close() only a success is recorded; close() saves the others as interrupted.
    const stop = this.host.closed() ? 'shutdown' : run.stop;
    const job = this.book.get(id);
    const outcome = runOutcome({ job, stop, result, error, retry: this.host.retry(), now, random: this.ports.random ?? Math.random });
    this.book.update(id, (j) => ({ ...j, ...outcome.patch }));
    if (outcome.event?.type === 'failed')
      // Info: the queue's own report says it (the window's row, the command line's 'failed:' line);
      // as a warning it was said a third time on the command line's stderr.
      this.ports.log.info(outcome.finalFailure ? 'a queued transfer failed' : 'a queued transfer failed; it will be retried', { job: id, code: error?.code, error: error?.message });
    if (outcome.event) this.book.apply(id, outcome.event);
    if (outcome.finalFailure) (this.ports.notifications ?? noNotifications).notify({ kind: 'job-failed', title: `${job.label} failed`, body: error?.message ?? 'Failed.' });
    this.host.ended();
  }

  private onProgress(id: string, run: Run, p: TransferProgress): void {
    if (p.state === 'paused') run.pausedAck?.();
    if (this.host.closed() || this.runs.get(id) !== run) return;
    const before = this.book.get(id).state;
    if (RUN_PHASES.has(p.state) && !run.paused && run.stop === null) {
      const next = nextState(before, { type: 'phase', phase: p.state as RunPhase });
      if (next !== null && next !== before) {
        if (next === 'finalizing') this.book.update(id, (j) => ({ ...j, finalizing: true }));
        this.book.apply(id, { type: 'phase', phase: p.state as RunPhase });
      }
    }
    this.book.update(id, (j) => ({ ...j, progress: { bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, bytesOnWire: p.bytesOnWire, rate: p.rate, dataDone: p.dataDone, dataTotal: p.dataTotal } }));
    this.book.persistence.markDirty();
    const now = this.ports.now();
    if (this.book.get(id).state !== before) this.updateAwake();
    else if (now - (this.lastProgress.get(id) ?? -Infinity) >= (this.ports.progressIntervalMs ?? 500)) {
      this.lastProgress.set(id, now);
      this.book.emit({ type: 'progress', job: this.book.get(id) });
    }
  }

  private async remember(id: string, ids: Parameters<RunContext['remember']>[0]): Promise<void> {
    if (!this.book.has(id)) return;
    this.book.update(id, (j) => ({
      ...j,
      ...(ids.diskId !== undefined ? { diskId: ids.diskId, finalizing: ids.diskId === j.diskId ? j.finalizing : false } : {}),
      // A new transfer is a new attempt: what an earlier one finished no longer describes the file.
      ...(ids.transferId !== undefined ? { transferId: ids.transferId, finishedResult: null } : {}),
      ...(ids.finishedResult !== undefined ? { finishedResult: ids.finishedResult } : {}),
    }));
    // Durable before the caller goes on: a crash right after must find these ids.
    await this.book.persistence.saveNow({ mustSucceed: true });
    this.book.emit({ type: 'updated', job: this.book.get(id) });
  }

  private addNote(id: string, text: string): void {
    if (!this.book.has(id)) return;
    this.book.update(id, (j) => ({ ...j, notes: [...j.notes, text].slice(-20) }));
    this.book.persistence.save();
    this.book.emit({ type: 'updated', job: this.book.get(id) });
  }
}
