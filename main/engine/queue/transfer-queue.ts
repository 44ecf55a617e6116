/**
 * TransferQueue: many transfers, unattended. Keeps jobs in order (FIFO, priorities, move), runs as
 * many as the limits allow (global, per engine, per storage domain, one per disk), only inside the
 * schedule window for `window` jobs, under one shared bandwidth limit, retries what can be retried
 * with backoff, persists every change through the store port, and after a restart recovers what was
 * running. Every state change goes through `nextState` (states.ts). Listeners get events.
 */
import { moveJob, type MoveTo } from './order.js';
import { randomUUID } from 'node:crypto';
import type { TransferProgress, TransferState } from '../../../shared/model.js';
import { asDiskFerryError, DiskFerryError, errorMessage } from '../errors.js';
import { TransferControl } from '../transfer/control.js';
import { createJob, workKey, type JobResult, type NewJob, type QueueJob } from './job.js';
import { pickStarts } from './limits.js';
import { noNotifications, noPower } from './ports.js';
import { checkSettings, DEFAULT_QUEUE_SETTINGS, type QueueEvent, type QueueListener, type QueuePorts, type QueueSettings } from './queue-types.js';
import { BatchTracker } from './batch.js';
import { buildReport, type RunReport } from './report.js';
import { runOutcome, type StopReason } from './run-outcome.js';
import type { RunContext } from './runner.js';
import { isWindowOpen, localCalendar, nextWindowChange } from './schedule.js';
import { isActive, isHoldable, isPending, isTerminal, nextState, type JobEvent, type RunPhase } from './states.js';
import { QueuePersistence } from './persistence.js';
import { TokenBucket } from './token-bucket.js';

/** One attempt in progress. */
interface Run {
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

const RUN_PHASES: ReadonlySet<TransferState> = new Set<RunPhase>(['preparing', 'initializing', 'transferring', 'finalizing', 'verifying']);
/** Even with nothing due, look again this often while a window exists (the clock may jump, the host may sleep). */
const RECHECK_MS = 60_000;

/** See the file comment. Create with `TransferQueue.open`. */
export class TransferQueue {
  private jobs: QueueJob[] = [];
  private readonly runs = new Map<string, Run>();
  private readonly listeners = new Set<QueueListener>();
  private readonly bucket: TokenBucket;
  private readonly persistence: QueuePersistence;
  private readonly lastProgress = new Map<string, number>();
  private started = false;
  private closed = false;
  private wakeTimer: unknown = null;
  private saveTimer: unknown = null;
  private windowOpen: boolean | null = null;
  /** When the window next opens or closes (cached: finding it scans minutes); undefined = not known. */
  private windowChangeAt: number | null | undefined = undefined;
  private awake = false;
  private readonly batch: BatchTracker;

  private constructor(
    private readonly ports: QueuePorts,
    private settings: QueueSettings,
  ) {
    this.bucket = new TokenBucket(ports.bandwidthClock ?? { now: ports.now, timers: ports.timers }, settings.bandwidth);
    this.persistence = new QueuePersistence(ports.store, ports.log, () => this.jobs);
    const busy = () => this.runs.size > 0 || this.jobs.some((j) => isPending(j.state) || isActive(j.state));
    this.batch = new BatchTracker(busy, () => this.finishBatch(), (err) => ports.log.error('writing the run report failed', { error: errorMessage(err) }));
  }

  /** Loads the stored queue and recovers jobs that were running when the process stopped. */
  static async open(ports: QueuePorts, settings: Partial<QueueSettings> = {}): Promise<TransferQueue> {
    const q = new TransferQueue(ports, checkSettings({ ...DEFAULT_QUEUE_SETTINGS, ...settings }));
    const doc = await q.persistence.load();
    q.jobs = doc.jobs;
    for (const j of q.jobs) if (isActive(j.state)) q.apply(j.id, { type: 'interrupted' }, 'The queue stopped while this job ran; it continues where it can.');
    await q.persistence.saveNow();
    return q;
  }

  /** Starts running jobs (and keeps doing so as jobs are added, until close()). */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.batch.begin();
    this.pump();
  }

  /** Resolves when the queue is idle (nothing running or able to start by itself) with the batch's report. */
  whenIdle(): Promise<RunReport | null> {
    return this.batch.whenIdle();
  }

  /** Adds jobs at the end of the queue; refuses one that repeats a job not yet finished. */
  async add(specs: readonly NewJob[]): Promise<QueueJob[]> {
    this.throwIfClosed();
    const now = this.ports.now();
    const pendingKeys = new Map(this.jobs.filter((j) => !isTerminal(j.state)).map((j) => [workKey(j), j.id]));
    const added: QueueJob[] = [];
    for (const spec of specs) {
      if (spec.id !== undefined && (this.jobs.some((j) => j.id === spec.id) || added.some((j) => j.id === spec.id)))
        throw new DiskFerryError('bad-input', `The queue already has a job ${spec.id}.`, { retryable: false });
      const job = createJob(spec, spec.id ?? this.ports.newId?.() ?? randomUUID(), now);
      const key = workKey(job);
      const dup = pendingKeys.get(key);
      if (dup) throw new DiskFerryError('bad-input', `${spec.label ?? 'This transfer'} is already in the queue (job ${dup}).`, { retryable: false });
      pendingKeys.set(key, job.id);
      added.push(job);
    }
    this.jobs = [...this.jobs, ...added];
    await this.persistence.saveNow();
    for (const job of added) this.emit({ type: 'added', job });
    this.pump();
    return added;
  }

  /** All jobs in queue order. */
  list(): readonly QueueJob[] {
    return this.jobs;
  }

  /** One job; `not-found` when there is none. */
  get(id: string): QueueJob {
    const job = this.jobs.find((j) => j.id === id);
    if (!job) throw new DiskFerryError('not-found', `There is no job ${id} in the queue.`, { retryable: false });
    return job;
  }

  /** The recent run reports, oldest first. */
  reports(): readonly RunReport[] {
    return this.persistence.reports;
  }

  /** Pauses a job: a running one stops moving data (its engine session stays), a pending one is kept back. */
  pause(id: string): void {
    const job = this.get(id);
    const next = nextState(job.state, { type: 'pause' });
    if (next === null) throw notNow(job, 'paused');
    const run = this.runs.get(id);
    if (run) this.pauseRun(run);
    this.apply(id, { type: 'pause' });
    this.pump();
  }

  /** Resumes a paused job. */
  resume(id: string): void {
    const run = this.runs.get(id);
    const held = Boolean(run?.paused);
    if (nextState(this.get(id).state, { type: 'resume', held }) === null) throw notNow(this.get(id), 'resumed');
    this.apply(id, { type: 'resume', held });
    if (run) this.resumeRun(run);
    this.pump();
  }

  /** Cancels a job. A running upload is cancelled on the engine, which deletes its disk; a download keeps its partial file. */
  cancel(id: string): void {
    const job = this.get(id);
    if (isTerminal(job.state)) throw notNow(job, 'cancelled');
    const run = this.runs.get(id);
    if (run) {
      // The state changes when the run has cleaned up on the engine.
      run.stop = 'cancel';
      run.control.cancel();
      return;
    }
    this.apply(id, { type: 'cancel' });
    this.update(id, (j) => ({ ...j, finishedAt: this.ports.now(), error: { code: 'cancelled', message: 'Cancelled.', retryable: false } }));
    void this.ports.runner.discard(job).catch((err: unknown) => this.ports.log.warn('cleaning up after a cancelled job failed', { job: id, error: errorMessage(err) }));
    this.pump();
  }

  /** Runs a failed, cancelled or retrying job again, with a fresh count of attempts. */
  retry(id: string): void {
    const job = this.get(id);
    if (nextState(job.state, { type: 'retry' }) === null) throw notNow(job, 'retried');
    this.update(id, (j) => ({ ...j, attempts: 0, nextAttemptAt: null, error: null, finishedAt: null, reportedAt: null }));
    this.apply(id, { type: 'retry' });
    this.pump();
  }

  /** Removes a job that is not running; what it left on the engine (an upload's partial disk) is cleaned up. */
  async remove(id: string): Promise<void> {
    const job = this.get(id);
    if (this.runs.has(id)) throw new DiskFerryError('conflict', `Job ${job.label} is running. Cancel it first.`, { retryable: false });
    if (job.state !== 'completed') await this.ports.runner.discard(job);
    this.jobs = this.jobs.filter((j) => j.id !== id);
    await this.persistence.saveNow();
    this.emit({ type: 'removed', jobId: id });
    this.pump();
  }

  /** Moves a job (see `moveJob`). */
  move(id: string, to: MoveTo): void {
    if (!this.jobs.some((j) => j.id === id)) this.get(id);
    this.jobs = moveJob(this.jobs, id, to);
    this.persistence.save();
    this.emit({ type: 'reordered', order: this.jobs.map((j) => j.id) });
    this.pump();
  }

  /** Sets a job's priority (higher runs first). */
  setPriority(id: string, priority: number): void {
    if (!Number.isInteger(priority)) throw new DiskFerryError('bad-input', 'A priority is a whole number.', { retryable: false });
    this.update(id, (j) => ({ ...j, priority }));
    this.persistence.save();
    this.emit({ type: 'updated', job: this.get(id) });
    this.pump();
  }

  /** The current settings. */
  getSettings(): QueueSettings {
    return this.settings;
  }

  /** Changes settings; they apply at once (a closed window holds running jobs, a new limit paces them). */
  updateSettings(patch: Partial<QueueSettings>): void {
    this.settings = checkSettings({ ...this.settings, ...patch });
    this.windowChangeAt = undefined;
    this.pump();
  }

  /** Listens to queue events; returns the unsubscribe function. */
  on(listener: QueueListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * Stops: downloads end their transfer and keep their journal, uploads are paused on the engine and
   * re-attached by the next start, so nothing is lost or left unknown. Jobs that were running are
   * saved as queued. Waits up to `closeGraceMs` for the runs.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.wakeTimer !== null) this.ports.timers.clearTimeout(this.wakeTimer);
    if (this.saveTimer !== null) this.ports.timers.clearInterval(this.saveTimer);
    const waits: Promise<unknown>[] = [];
    for (const [id, run] of this.runs) {
      run.stop = 'shutdown';
      const job = this.get(id);
      if (run.paused && job.kind === 'upload') continue; // its data phase already stopped; the engine session stays for the next start
      if (job.kind === 'upload' && isHoldable(job.state)) {
        const acked = new Promise<void>((resolve) => (run.pausedAck = resolve));
        this.pauseRun(run);
        waits.push(Promise.race([acked, run.settled]));
      } else {
        if (job.kind === 'download') run.control.cancel();
        waits.push(run.settled);
      }
    }
    let timer: unknown = null;
    const grace = new Promise((resolve) => (timer = this.ports.timers.setTimeout(() => resolve(null), this.ports.closeGraceMs ?? 20_000)));
    await Promise.race([Promise.all(waits), grace]);
    this.ports.timers.clearTimeout(timer);
    for (const j of this.jobs) if (isActive(j.state)) this.apply(j.id, { type: 'interrupted' });
    this.setAwake(false);
    await this.persistence.saveNow().catch(() => {});
    // Saved: paused uploads now stop their local run (keep-alive, connections) and leave the engine
    // transfer paused for the next start, so a host that lives on (the app's web host) keeps nothing running.
    for (const run of this.runs.values()) if (run.paused) run.control.detach();
    this.batch.abandon();
  }

  // ---- scheduling ----

  /** Starts, holds and resumes what the window, the limits and the backoff allow now. */
  private pump(): void {
    if (!this.started || this.closed) return;
    const now = this.ports.now();
    const { windows, limits } = this.settings;
    const open = isWindowOpen(windows, (this.ports.calendar ?? localCalendar)(now));
    if (this.windowChangeAt === undefined || (this.windowChangeAt !== null && now >= this.windowChangeAt))
      this.windowChangeAt = nextWindowChange(windows, now, this.ports.calendar ?? localCalendar);
    if (open !== this.windowOpen) {
      this.windowOpen = open;
      this.emit({ type: 'window', open, nextChangeAt: this.windowChangeAt });
    }
    this.bucket.setRate(open && this.settings.windowBandwidth !== null ? this.settings.windowBandwidth : this.settings.bandwidth);
    for (const { id } of this.jobs) {
      const run = this.runs.get(id);
      if (this.get(id).state === 'retrying' && (this.get(id).nextAttemptAt ?? 0) <= now) this.apply(id, { type: 'retry-due' });
      const job = this.get(id);
      if (job.start === 'window' && !open) {
        if (job.state === 'queued') this.apply(id, { type: 'window-closed' });
        else if (run && isHoldable(job.state) && run.stop === null) this.hold(job, run);
      } else if (job.state === 'waiting' && !(run && run.stop === 'window')) {
        this.apply(id, { type: 'window-opened', held: Boolean(run?.paused) });
        if (run) this.resumeRun(run);
      }
    }
    const ready = this.jobs.filter((j) => j.state === 'queued' && !this.runs.has(j.id));
    const busy = this.jobs.filter((j) => this.runs.has(j.id));
    for (const j of pickStarts(ready, busy, limits)) this.startRun(j.id);
    this.updateAwake();
    this.armWake(now);
    this.batch.check();
  }

  /** The window closed on a running job: an upload pauses (engine paused_user), a download stops with its journal. */
  private hold(job: QueueJob, run: Run): void {
    if (job.kind === 'upload') {
      this.pauseRun(run);
    } else {
      run.stop = 'window';
      run.control.cancel();
    }
    this.apply(job.id, { type: 'window-closed' });
  }

  /** Stops a run's data phase (user pause, end of window, shutdown); its paused time does not count as running. */
  private pauseRun(run: Run): void {
    if (run.paused) return;
    run.paused = true;
    run.activeMs += Math.max(0, this.ports.now() - run.since);
    run.control.pause();
  }

  private resumeRun(run: Run): void {
    if (!run.paused) return;
    run.paused = false;
    run.since = this.ports.now();
    run.control.resume();
  }

  private armWake(now: number): void {
    if (this.wakeTimer !== null) this.ports.timers.clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    const due: number[] = this.jobs.filter((j) => j.state === 'retrying' && j.nextAttemptAt !== null).map((j) => j.nextAttemptAt!);
    const live = this.jobs.some((j) => !isTerminal(j.state));
    if (live && this.settings.windows.length > 0) due.push(Math.min(this.windowChangeAt ?? Infinity, now + RECHECK_MS));
    if (due.length === 0) return;
    const at = Math.min(...due);
    this.wakeTimer = this.ports.timers.setTimeout(() => {
      this.wakeTimer = null;
      this.pump();
    }, Math.max(0, at - now));
  }

  // ---- runs ----

  private startRun(id: string): void {
    const now = this.ports.now();
    const run: Run = { control: new TransferControl(), activeMs: 0, since: now, stop: null, paused: false, pausedAck: null, settled: Promise.resolve() };
    this.runs.set(id, run);
    this.update(id, (j) => ({ ...j, attempts: j.attempts + 1, startedAt: j.startedAt ?? now, nextAttemptAt: null, error: null }));
    this.apply(id, { type: 'start' });
    if (this.saveTimer === null) this.saveTimer = this.ports.timers.setInterval(() => this.persistence.saveIfDirty(), this.ports.saveIntervalMs ?? 2000);
    const ctx: RunContext = {
      control: run.control,
      throttle: (bytes, signal) => this.bucket.take(bytes, signal),
      onProgress: (p) => this.onProgress(id, run, p),
      remember: (ids) => this.remember(id, ids),
      note: (text) => this.addNote(id, text),
    };
    run.settled = (async () => {
      // The attempt is on disk before the engine is touched: recovery counts on it.
      await this.persistence.saveNow();
      if (run.stop !== null) throw new DiskFerryError('cancelled', 'Stopped before it began.', { retryable: false });
      return this.ports.runner.run(this.get(id), ctx);
    })().then(
      (result) => this.endRun(id, run, result, null),
      (err: unknown) => this.endRun(id, run, null, asDiskFerryError(err)),
    );
  }

  private endRun(id: string, run: Run, result: JobResult | null, error: DiskFerryError | null): void {
    if (this.runs.get(id) !== run) return;
    this.runs.delete(id);
    if (!this.jobs.some((j) => j.id === id)) return;
    const now = this.ports.now();
    const ran = run.activeMs + (run.paused ? 0 : Math.max(0, now - run.since));
    this.update(id, (j) => ({ ...j, activeMs: j.activeMs + ran }));
    // After close() only a success is recorded; close() saves the others as interrupted.
    const stop = this.closed ? 'shutdown' : run.stop;
    const job = this.get(id);
    const outcome = runOutcome({ job, stop, result, error, retry: this.settings.retry, now, random: this.ports.random ?? Math.random });
    this.update(id, (j) => ({ ...j, ...outcome.patch }));
    if (outcome.event?.type === 'failed')
      this.ports.log.warn(outcome.finalFailure ? 'a queued transfer failed' : 'a queued transfer failed; it will be retried', { job: id, code: error?.code, error: error?.message });
    if (outcome.event) this.apply(id, outcome.event);
    if (outcome.finalFailure) (this.ports.notifications ?? noNotifications).notify({ kind: 'job-failed', title: `${job.label} failed`, body: error?.message ?? 'Failed.' });
    this.pump();
  }

  private onProgress(id: string, run: Run, p: TransferProgress): void {
    if (p.state === 'paused') run.pausedAck?.();
    if (this.closed || this.runs.get(id) !== run) return;
    const before = this.get(id).state;
    if (RUN_PHASES.has(p.state) && !run.paused && run.stop === null) {
      const next = nextState(before, { type: 'phase', phase: p.state as RunPhase });
      if (next !== null && next !== before) {
        if (next === 'finalizing') this.update(id, (j) => ({ ...j, finalizing: true }));
        this.apply(id, { type: 'phase', phase: p.state as RunPhase });
      }
    }
    this.update(id, (j) => ({ ...j, progress: { bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, bytesOnWire: p.bytesOnWire, rate: p.rate, dataDone: p.dataDone, dataTotal: p.dataTotal } }));
    this.persistence.markDirty();
    const now = this.ports.now();
    if (this.get(id).state !== before) this.updateAwake();
    else if (now - (this.lastProgress.get(id) ?? -Infinity) >= (this.ports.progressIntervalMs ?? 500)) {
      this.lastProgress.set(id, now);
      this.emit({ type: 'progress', job: this.get(id) });
    }
  }

  private async remember(id: string, ids: { readonly diskId?: string | null; readonly transferId?: string | null }): Promise<void> {
    if (!this.jobs.some((j) => j.id === id)) return;
    this.update(id, (j) => ({
      ...j,
      ...(ids.diskId !== undefined ? { diskId: ids.diskId, finalizing: ids.diskId === j.diskId ? j.finalizing : false } : {}),
      ...(ids.transferId !== undefined ? { transferId: ids.transferId } : {}),
    }));
    // Durable before the caller goes on: a crash right after must find these ids.
    await this.persistence.saveNow({ mustSucceed: true });
    this.emit({ type: 'updated', job: this.get(id) });
  }

  private addNote(id: string, text: string): void {
    if (!this.jobs.some((j) => j.id === id)) return;
    this.update(id, (j) => ({ ...j, notes: [...j.notes, text].slice(-20) }));
    this.persistence.save();
    this.emit({ type: 'updated', job: this.get(id) });
  }

  // ---- state, events, idle ----

  /** Applies an event through nextState; an event that does not apply changes nothing. */
  private apply(id: string, event: JobEvent, note?: string): void {
    const job = this.get(id);
    const next = nextState(job.state, event);
    if (next === null) {
      this.ports.log.debug('a queue event did not apply', { job: id, state: job.state, event: event.type });
      return;
    }
    if (next === job.state) return;
    const at = this.ports.now();
    this.update(id, (j) => ({ ...j, state: next, timeline: [...j.timeline, { state: next, at }].slice(-50), ...(note ? { notes: [...j.notes, note].slice(-20) } : {}) }));
    this.persistence.save();
    this.emit({ type: 'state', job: this.get(id), from: job.state });
  }

  private update(id: string, f: (j: QueueJob) => QueueJob): void {
    this.jobs = this.jobs.map((j) => (j.id === id ? f(j) : j));
  }

  private emit(event: QueueEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (err) {
        this.ports.log.warn('a queue listener failed', { error: errorMessage(err) });
      }
    }
  }

  private updateAwake(): void {
    const moving = [...this.runs].some(([id, run]) => !run.paused && run.stop === null && this.get(id).state === 'transferring');
    this.setAwake(moving);
  }

  private setAwake(awake: boolean): void {
    if (awake === this.awake) return;
    this.awake = awake;
    (this.ports.power ?? noPower).setAwake(awake);
  }

  /** Writes the report of the jobs that ended since the last one, and says the batch is done. */
  private async finishBatch(): Promise<RunReport | null> {
    const now = this.ports.now();
    const ended = this.jobs.filter((j) => isTerminal(j.state) && j.reportedAt === null);
    const report = ended.length > 0 ? buildReport(this.ports.newId?.() ?? randomUUID(), ended, now) : null;
    if (report) {
      const ids = new Set(ended.map((j) => j.id));
      this.jobs = this.jobs.map((j) => (ids.has(j.id) ? { ...j, reportedAt: now } : j));
      this.persistence.addReport(report);
      await this.persistence.saveNow();
      await this.ports.reports?.write(report, ended).catch((err: unknown) => this.ports.log.warn('writing the report files failed', { error: errorMessage(err) }));
      const t = report.totals;
      (this.ports.notifications ?? noNotifications).notify({
        kind: 'all-done',
        title: t.failed + t.cancelled > 0 ? 'Transfers finished, some did not succeed' : 'All transfers done',
        body: `${t.completed} completed, ${t.failed} failed, ${t.cancelled} cancelled.`,
      });
    }
    this.emit({ type: 'idle', report });
    return report;
  }

  private throwIfClosed(): void {
    if (this.closed) throw new DiskFerryError('cancelled', 'The queue is closed.', { retryable: false });
  }
}

function notNow(job: QueueJob, verb: string): DiskFerryError {
  return new DiskFerryError('conflict', `${job.label} is ${job.state} and cannot be ${verb} now.`, { retryable: false });
}
