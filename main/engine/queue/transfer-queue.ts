/**
 * TransferQueue: many transfers, unattended. Keeps jobs in order (FIFO, priorities, move), runs as
 * many as the limits allow (global, per engine, per storage domain, one per disk), only inside the
 * schedule window for `window` jobs, under one shared bandwidth limit, retries what can be retried
 * with backoff, persists every change through the store port, and after a restart recovers what was
 * running. Every state change goes through `nextState` (states.ts). Listeners get events.
 *
 * This file holds the public actions and the scheduling (what starts, waits, is held or resumed
 * now); the jobs and their persistence live in JobBook (job-book.ts), the attempts in progress in
 * ActiveRuns (active-runs.ts).
 */
import { findDuplicates, type Duplicate } from './duplicates.js';
import { moveJob, type MoveTo } from './order.js';
import { randomUUID } from 'node:crypto';
import { DiskFerryError, errorMessage } from '../errors.js';
import { ActiveRuns, type Run } from './active-runs.js';
import { createJob, workKey, type NewJob, type QueueJob } from './job.js';
import { JobBook } from './job-book.js';
import { pickStarts } from './limits.js';
import { retargetedJob, type Retarget } from './retarget.js';
import { noNotifications } from './ports.js';
import { checkSettings, DEFAULT_QUEUE_SETTINGS, type QueueListener, type QueuePorts, type QueueSettings } from './queue-types.js';
import { BatchTracker } from './batch.js';
import { buildReport, type RunReport } from './report.js';
import { isWindowOpen, localCalendar, nextWindowChange } from './schedule.js';
import { isActive, isHoldable, isPending, isTerminal, nextState } from './states.js';
import { TokenBucket } from './token-bucket.js';

/** Even with nothing due, look again this often while a window exists (the clock may jump, the host may sleep). */
const RECHECK_MS = 60_000;

/** See the file comment. Create with `TransferQueue.open`. */
export class TransferQueue {
  private readonly book: JobBook;
  private readonly runs: ActiveRuns;
  private readonly bucket: TokenBucket;
  /** Clean-ups on the engine of jobs cancelled while not running. */
  private readonly cleanups = new Set<Promise<void>>();
  private started = false;
  private closed = false;
  private wakeTimer: unknown = null;
  private windowOpen: boolean | null = null;
  /** When the window next opens or closes (cached: finding it scans minutes); undefined = not known. */
  private windowChangeAt: number | null | undefined = undefined;
  private readonly batch: BatchTracker;

  private constructor(
    private readonly ports: QueuePorts,
    private settings: QueueSettings,
  ) {
    this.bucket = new TokenBucket(ports.bandwidthClock ?? { now: ports.now, timers: ports.timers }, settings.bandwidth);
    this.book = new JobBook(ports);
    this.runs = new ActiveRuns(this.book, ports, {
      throttle: (bytes, signal) => this.bucket.take(bytes, signal),
      retry: () => this.settings.retry,
      closed: () => this.closed,
      ended: () => this.pump(),
    });
    const busy = () => this.runs.size > 0 || this.book.list().some((j) => isPending(j.state) || isActive(j.state));
    this.batch = new BatchTracker(busy, () => this.finishBatch(), (err) => ports.log.error('writing the run report failed', { error: errorMessage(err) }));
  }

  /** Loads the stored queue and recovers jobs that were running when the process stopped. */
  static async open(ports: QueuePorts, settings: Partial<QueueSettings> = {}): Promise<TransferQueue> {
    const q = new TransferQueue(ports, checkSettings({ ...DEFAULT_QUEUE_SETTINGS, ...settings }));
    await q.book.load();
    for (const j of q.book.list()) if (isActive(j.state)) q.book.interrupt(j.id, 'The queue stopped while this job ran; it continues where it can.');
    await q.book.persistence.saveNow();
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
    const jobs = this.book.list();
    const pendingKeys = new Map(jobs.filter((j) => !isTerminal(j.state)).map((j) => [workKey(j), j.id]));
    const added: QueueJob[] = [];
    for (const spec of specs) {
      if (spec.id !== undefined && (jobs.some((j) => j.id === spec.id) || added.some((j) => j.id === spec.id)))
        throw new DiskFerryError('bad-input', `The queue already has a job ${spec.id}.`, { retryable: false });
      const job = createJob(spec, spec.id ?? this.ports.newId?.() ?? randomUUID(), now);
      const key = workKey(job);
      const dup = pendingKeys.get(key);
      if (dup) throw new DiskFerryError('bad-input', `${spec.label ?? 'This transfer'} is already in the queue (job ${dup}).`, { retryable: false });
      pendingKeys.set(key, job.id);
      added.push(job);
    }
    this.book.replace([...jobs, ...added]);
    // Added means saved: a caller handing jobs over (the CLI's inbox) removes its copy only then.
    await this.book.persistence.saveNow({ mustSucceed: true }).catch((err: unknown) => {
      this.book.replace(this.book.list().filter((j) => !added.includes(j)));
      throw err;
    });
    for (const job of added) this.book.emit({ type: 'added', job });
    this.pump();
    return added;
  }

  /**
   * For each job `add` would be given, whether it repeats work: of an unfinished job in the queue
   * (`in-queue`) or of an earlier one in `specs` (`in-batch`), with the id or index it repeats; null
   * for a job that can be added. Lets a host queue the rest of a batch instead of refusing it all.
   */
  duplicates(specs: readonly NewJob[]): readonly Duplicate[] {
    return findDuplicates(this.book.list(), specs);
  }

  /** All jobs in queue order. */
  list(): readonly QueueJob[] {
    return this.book.list();
  }

  /** One job; `not-found` when there is none. */
  get(id: string): QueueJob {
    return this.book.get(id);
  }

  /** The recent run reports, oldest first. */
  reports(): readonly RunReport[] {
    return this.book.persistence.reports;
  }

  /** Pauses a job: a running one stops moving data (its engine session stays), a pending one is kept back. */
  pause(id: string): void {
    const job = this.get(id);
    const next = nextState(job.state, { type: 'pause' });
    if (next === null) throw notNow(job, 'paused');
    const run = this.runs.get(id);
    if (run) this.runs.pause(run);
    this.book.apply(id, { type: 'pause' });
    this.pump();
  }

  /** Resumes a paused job. */
  resume(id: string): void {
    const run = this.runs.get(id);
    const held = Boolean(run?.paused);
    if (nextState(this.get(id).state, { type: 'resume', held }) === null) throw notNow(this.get(id), 'resumed');
    this.book.apply(id, { type: 'resume', held });
    if (run) this.runs.resume(run);
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
    this.book.apply(id, { type: 'cancel' });
    this.book.update(id, (j) => ({ ...j, finishedAt: this.ports.now(), error: { code: 'cancelled', message: 'Cancelled.', retryable: false } }));
    // Waited for by close(), so a process that cancels and exits (the CLI) still cleans up on the engine.
    const cleanup = this.ports.runner.discard(job).catch((err: unknown) => this.ports.log.warn('cleaning up after a cancelled job failed', { job: id, error: errorMessage(err) }));
    this.cleanups.add(cleanup);
    void cleanup.finally(() => this.cleanups.delete(cleanup));
    this.pump();
  }

  /** Runs a failed, cancelled or retrying job again, with a fresh count of attempts. */
  retry(id: string): void {
    const job = this.get(id);
    if (nextState(job.state, { type: 'retry' }) === null) throw notNow(job, 'retried');
    this.book.update(id, (j) => ({ ...j, attempts: 0, interruptions: 0, nextAttemptAt: null, error: null, finishedAt: null, reportedAt: null }));
    this.book.apply(id, { type: 'retry' });
    this.pump();
  }

  /**
   * Sends a job that is not running elsewhere (retarget.ts): what an earlier attempt left on the
   * engine is cleaned up first, then a failed or cancelled job runs again and a pending one keeps its turn.
   */
  async retarget(id: string, target: Retarget): Promise<QueueJob> {
    this.throwIfClosed();
    const job = this.get(id);
    if (this.runs.has(id)) throw new DiskFerryError('conflict', `${job.label} is running. Pause or cancel it first.`, { retryable: false });
    const next = retargetedJob(job, target, this.book.list());
    if (job.attempts > 0 || job.diskId !== null) await this.ports.runner.discard(job, next);
    if (this.runs.has(id) || this.get(id) !== job) throw new DiskFerryError('conflict', `${job.label} changed meanwhile. Look at it again, then change it.`, { retryable: false });
    this.book.update(id, () => next);
    if (nextState(next.state, { type: 'retry' }) !== null) this.book.apply(id, { type: 'retry' });
    await this.book.persistence.saveNow();
    this.book.emit({ type: 'updated', job: this.get(id) });
    this.pump();
    return this.get(id);
  }

  /** Removes a job that is not running; what it left on the engine (an upload's partial disk) is cleaned up. */
  async remove(id: string): Promise<void> {
    const job = this.get(id);
    if (this.runs.has(id)) throw new DiskFerryError('conflict', `Job ${job.label} is running. Cancel it first.`, { retryable: false });
    if (job.state !== 'completed') await this.ports.runner.discard(job);
    this.book.replace(this.book.list().filter((j) => j.id !== id));
    await this.book.persistence.saveNow();
    this.book.emit({ type: 'removed', jobId: id });
    this.pump();
  }

  /**
   * Starts a job that waits for the schedule window now: it no longer waits for the window, nor is it
   * held at the window's end; the window still holds every other job. A paused job is resumed too.
   */
  startNow(id: string): void {
    const job = this.get(id);
    if (job.start !== 'window' || isTerminal(job.state)) throw notNow(job, 'started now');
    this.book.update(id, (j) => ({ ...j, start: 'now', notes: [...j.notes, 'Started now by the user: the schedule window does not hold it.'].slice(-20) }));
    this.book.persistence.save();
    this.book.emit({ type: 'updated', job: this.get(id) });
    if (job.state === 'paused') this.resume(id);
    else this.pump();
  }

  /** Moves a job (see `moveJob`). */
  move(id: string, to: MoveTo): void {
    if (!this.book.has(id)) this.get(id);
    this.book.replace(moveJob(this.book.list(), id, to));
    this.book.persistence.save();
    this.book.emit({ type: 'reordered', order: this.book.list().map((j) => j.id) });
    this.pump();
  }

  /** Sets a job's priority (higher runs first). */
  setPriority(id: string, priority: number): void {
    if (!Number.isInteger(priority)) throw new DiskFerryError('bad-input', 'A priority is a whole number.', { retryable: false });
    this.book.update(id, (j) => ({ ...j, priority }));
    this.book.persistence.save();
    this.book.emit({ type: 'updated', job: this.get(id) });
    this.pump();
  }

  /** The bandwidth limit in force now (the window's when it is open and has one); null = none. */
  bandwidthNow(): number | null {
    return this.bucket.limit;
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
    return this.book.on(listener);
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
    this.runs.stopSaving();
    const waits: Promise<unknown>[] = [];
    for (const [id, run] of this.runs.entries()) {
      run.stop = 'shutdown';
      const job = this.get(id);
      if (run.paused && job.kind === 'upload') continue; // its data phase already stopped; the engine session stays for the next start
      if (job.kind === 'upload' && isHoldable(job.state)) {
        const acked = new Promise<void>((resolve) => (run.pausedAck = resolve));
        this.runs.pause(run);
        waits.push(Promise.race([acked, run.settled]));
      } else {
        if (job.kind !== 'upload') run.control.cancel(); // a download keeps its journal; a backup is finalized
        waits.push(run.settled);
      }
    }
    let timer: unknown = null;
    const grace = new Promise((resolve) => (timer = this.ports.timers.setTimeout(() => resolve(null), this.ports.closeGraceMs ?? 20_000)));
    await Promise.race([Promise.all([...waits, ...this.cleanups]), grace]);
    this.ports.timers.clearTimeout(timer);
    for (const j of this.book.list()) if (isActive(j.state)) this.book.interrupt(j.id);
    this.runs.setAwake(false);
    await this.book.persistence.saveNow().catch(() => {});
    // Saved: paused uploads now stop their local run (keep-alive, connections) and leave the engine
    // transfer paused for the next start, so a host that lives on (the app's web host) keeps nothing running.
    for (const [, run] of this.runs.entries()) if (run.paused) run.control.detach();
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
      this.book.emit({ type: 'window', open, nextChangeAt: this.windowChangeAt });
    }
    this.bucket.setRate(open && this.settings.windowBandwidth !== null ? this.settings.windowBandwidth : this.settings.bandwidth);
    for (const { id } of this.book.list()) {
      const run = this.runs.get(id);
      if (this.get(id).state === 'retrying' && (this.get(id).nextAttemptAt ?? 0) <= now) this.book.apply(id, { type: 'retry-due' });
      const job = this.get(id);
      if (job.start === 'window' && !open) {
        if (job.state === 'queued') this.book.apply(id, { type: 'window-closed' });
        else if (run && isHoldable(job.state) && run.stop === null) this.hold(job, run);
      } else if (job.state === 'waiting' && !(run && run.stop === 'window')) {
        this.book.apply(id, { type: 'window-opened', held: Boolean(run?.paused) });
        if (run) this.runs.resume(run);
      }
    }
    const ready = this.book.list().filter((j) => j.state === 'queued' && !this.runs.has(j.id));
    const busy = this.book.list().filter((j) => this.runs.has(j.id));
    for (const j of pickStarts(ready, busy, limits)) this.runs.start(j.id);
    this.runs.updateAwake();
    this.armWake(now);
    this.batch.check();
  }

  /** The window closed on a running job: an upload pauses (engine paused_user), a download stops with its journal. */
  private hold(job: QueueJob, run: Run): void {
    if (job.kind === 'upload') {
      this.runs.pause(run);
    } else {
      run.stop = 'window';
      run.control.cancel();
    }
    this.book.apply(job.id, { type: 'window-closed' });
  }

  private armWake(now: number): void {
    if (this.wakeTimer !== null) this.ports.timers.clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    const jobs = this.book.list();
    const due: number[] = jobs.filter((j) => j.state === 'retrying' && j.nextAttemptAt !== null).map((j) => j.nextAttemptAt!);
    const live = jobs.some((j) => !isTerminal(j.state));
    if (live && this.settings.windows.length > 0) due.push(Math.min(this.windowChangeAt ?? Infinity, now + RECHECK_MS));
    if (due.length === 0) return;
    const at = Math.min(...due);
    this.wakeTimer = this.ports.timers.setTimeout(() => {
      this.wakeTimer = null;
      this.pump();
    }, Math.max(0, at - now));
  }

  // ---- the end of a batch ----

  /** Writes the report of the jobs that ended since the last one, and says the batch is done. */
  private async finishBatch(): Promise<RunReport | null> {
    const now = this.ports.now();
    const ended = this.book.list().filter((j) => isTerminal(j.state) && j.reportedAt === null);
    const report = ended.length > 0 ? buildReport(this.ports.newId?.() ?? randomUUID(), ended, now) : null;
    if (report) {
      const ids = new Set(ended.map((j) => j.id));
      this.book.replace(this.book.list().map((j) => (ids.has(j.id) ? { ...j, reportedAt: now } : j)));
      this.book.persistence.addReport(report);
      await this.book.persistence.saveNow();
      await this.ports.reports?.write(report, ended).catch((err: unknown) => this.ports.log.warn('writing the report files failed', { error: errorMessage(err) }));
      const t = report.totals;
      (this.ports.notifications ?? noNotifications).notify({
        kind: 'all-done',
        title: t.failed + t.cancelled > 0 ? 'Transfers finished, some did not succeed' : 'All transfers done',
        body: `${t.completed} completed, ${t.failed} failed, ${t.cancelled} cancelled.`,
      });
    }
    this.book.emit({ type: 'idle', report });
    return report;
  }

  private throwIfClosed(): void {
    if (this.closed) throw new DiskFerryError('cancelled', 'The queue is closed.', { retryable: false });
  }
}

function notNow(job: QueueJob, verb: string): DiskFerryError {
  return new DiskFerryError('conflict', `${job.label} is ${job.state} and cannot be ${verb} now.`, { retryable: false });
}
