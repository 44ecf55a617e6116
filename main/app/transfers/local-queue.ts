/**
 * The app core's own queue until the engine's TransferQueue lands: order, concurrency, the schedule
 * window, retries with capped backoff, pause/resume/cancel, persistence through the document store,
 * and recovery after a restart (downloads resume from their journal; an interrupted upload fails,
 * because its disk cannot be continued). Every state change goes through `nextState`.
 */
import type { MoveTransferRequest } from '../../../shared/ipc.js';
import type { TransferProgress } from '../../../shared/model.js';
import { DiskFerryError, asDiskFerryError } from '../../engine/errors.js';
import type { Log } from '../../engine/log.js';
import type { Timers } from '../../engine/timers.js';
import { TransferControl } from '../../engine/transfer/control.js';
import type { DocumentStore } from '../ports.js';
import { parseTransfersDocument, transfersDocument, type TransferRecord } from './record.js';
import type { QueueSettings, TransferQueuePort, TransferRunner } from './queue-port.js';
import { isActive, isFinished, isPending, nextState, type TransferEvent } from './states.js';
import { insideWindow } from './schedule.js';

/** Ports of the queue. */
export interface LocalQueueOptions {
  readonly run: TransferRunner;
  readonly settings: () => QueueSettings;
  readonly store: DocumentStore;
  readonly timers: Timers;
  readonly now: () => number;
  readonly log: Log;
  /** Local minutes since midnight (for the schedule window); injectable for tests. */
  readonly minuteOfDay?: () => number;
  /** First retry delay; doubles per attempt, capped at a minute. */
  readonly retryBaseMs?: number;
  /** Called once when a transfer reaches completed, failed or cancelled. */
  readonly onFinished?: (record: TransferRecord) => void;
}

const WINDOW_CHECK_MS = 30_000;
const MAX_RETRY_DELAY_MS = 60_000;
/** How long quitting waits for runs to clean up on the engine. */
const CLOSE_WAIT_MS = 15_000;

/** See the file comment. */
export class LocalTransferQueue implements TransferQueuePort {
  private records: TransferRecord[] = [];
  private readonly runs = new Map<string, TransferControl>();
  private readonly runPromises = new Set<Promise<void>>();
  private readonly retryTimers = new Map<string, unknown>();
  private readonly listeners = new Set<(urgent: boolean) => void>();
  private windowTimer: unknown = null;
  private saving: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly o: LocalQueueOptions) {}

  async load(): Promise<void> {
    const stored = parseTransfersDocument(await this.o.store.read('transfers'));
    if (stored === null) this.o.log.warn('the stored transfer queue is unreadable; starting empty');
    this.records = (stored ?? []).map((r) => this.recover(r));
    this.save();
    this.pump();
  }

  add(records: readonly TransferRecord[]): void {
    this.records.push(...records);
    this.changed(true);
    this.pump();
  }

  pause(id: string): void {
    const r = this.get(id);
    const control = this.runs.get(id);
    if (control) {
      if (nextState(r.state, { type: 'pause' }, true) === null) throw notNow(r, 'paused');
      control.pause();
      // The engine code reports `paused` once its data phase has stopped.
      return;
    }
    this.apply(id, { type: 'pause' }, 'paused');
    this.clearRetry(id);
  }

  resume(id: string): void {
    const r = this.get(id);
    const control = this.runs.get(id);
    if (control) {
      if (r.state !== 'paused') throw notNow(r, 'resumed');
      control.resume();
      return;
    }
    this.apply(id, { type: 'resume' }, 'resumed');
    this.pump();
  }

  cancel(id: string): void {
    const control = this.runs.get(id);
    if (control) {
      // The run ends with `cancelled` once the engine side is cleaned up.
      control.cancel();
      return;
    }
    this.clearRetry(id);
    this.apply(id, { type: 'cancel' }, 'cancelled');
    this.update(id, (r) => ({ ...r, finishedAt: this.o.now() }));
    this.finish(this.get(id));
  }

  retry(id: string): void {
    this.clearRetry(id);
    this.update(id, (r) => ({ ...r, error: null, finishedAt: null }));
    this.apply(id, { type: 'retry' }, 'retried');
    this.pump();
  }

  remove(id: string): void {
    const r = this.get(id);
    if (!isFinished(r.state)) throw new DiskFerryError('conflict', `${r.name} is not finished. Cancel it first.`, { retryable: false });
    this.records = this.records.filter((x) => x.id !== id);
    this.changed(true);
  }

  move(id: string, to: MoveTransferRequest['to']): void {
    const i = this.records.findIndex((x) => x.id === id);
    if (i < 0) throw unknown();
    const r = this.records[i]!;
    if (!(isPending(r.state) || (r.state === 'paused' && !this.runs.has(id)))) throw notNow(r, 'moved');
    const list = this.records.filter((x) => x.id !== id);
    const target = to === 'top' ? 0 : to === 'bottom' ? list.length : to === 'up' ? Math.max(0, i - 1) : Math.min(list.length, i + 1);
    list.splice(target, 0, r);
    this.records = list;
    this.changed(true);
  }

  get(id: string): TransferRecord {
    const r = this.records.find((x) => x.id === id);
    if (!r) throw unknown();
    return r;
  }

  list(): readonly TransferRecord[] {
    return this.records;
  }

  subscribe(listener: (urgent: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  settingsChanged(): void {
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.windowTimer !== null) this.o.timers.clearInterval(this.windowTimer);
    for (const id of [...this.retryTimers.keys()]) this.clearRetry(id);
    // Runs stop (uploads are cancelled on the engine, downloads finalized with their journal kept);
    // their records keep `running` so the next start recovers them.
    for (const c of this.runs.values()) c.cancel();
    await Promise.race([Promise.all([...this.runPromises]), new Promise((r) => this.o.timers.setTimeout(() => r(null), CLOSE_WAIT_MS))]);
    await this.saving;
    await this.o.store.write('transfers', transfersDocument(this.records));
  }

  /** Starts what may start: in order, up to the concurrency limit, inside the schedule window. */
  private pump(): void {
    if (this.closed) return;
    const s = this.o.settings();
    const open = s.scheduleWindow === null || insideWindow(s.scheduleWindow, this.minuteOfDay());
    let slots = s.maxConcurrent - this.runs.size;
    let waiting = false;
    for (const r of this.records) {
      if (r.state !== 'queued' && r.state !== 'waiting') continue;
      if (r.start === 'window' && !open) {
        if (r.state === 'queued') this.apply(r.id, { type: 'hold' }, 'held');
        waiting = true;
        continue;
      }
      if (slots <= 0) continue;
      slots--;
      this.startRun(r.id);
    }
    this.setWindowTimer(waiting);
  }

  private startRun(id: string): void {
    const control = new TransferControl();
    this.runs.set(id, control);
    const now = this.o.now();
    this.update(id, (r) => ({ ...r, running: true, attempts: r.attempts + 1, startedAt: r.startedAt ?? now, error: null }));
    this.apply(id, { type: 'start' }, 'started');
    const onProgress = (p: TransferProgress) => this.progress(id, p);
    const done = this.o
      .run(this.get(id), control, onProgress)
      .then(
        (outcome) => {
          this.update(id, (r) => ({ ...r, diskId: outcome.diskId, ...(outcome.localPath ? { localPath: outcome.localPath } : {}) }));
          this.endRun(id, { type: 'succeed' }, null);
        },
        (err: unknown) => {
          const e = asDiskFerryError(err);
          if (control.cancelled || e.code === 'cancelled') {
            this.endRun(id, { type: 'cancel' }, this.closed ? null : e);
            return;
          }
          const r = this.get(id);
          const willRetry = e.retryable && r.attempts <= this.o.settings().maxRetries;
          this.endRun(id, { type: 'fail', willRetry }, e);
          if (willRetry) this.scheduleRetry(id, r.attempts);
        },
      )
      .catch((err: unknown) => this.o.log.error('the transfer queue failed to record an outcome', { error: (err as Error).message }))
      .finally(() => this.runPromises.delete(done));
    this.runPromises.add(done);
  }

  private endRun(id: string, event: TransferEvent, error: DiskFerryError | null): void {
    if (this.closed) {
      this.runs.delete(id);
      return;
    }
    const now = this.o.now();
    this.update(id, (r) => ({ ...r, error: error ? error.toInfo() : null }));
    this.apply(id, event, 'ended');
    this.runs.delete(id);
    this.update(id, (r) => ({ ...r, running: false, finishedAt: isFinished(r.state) ? now : null }));
    const r = this.get(id);
    if (isFinished(r.state)) this.finish(r);
    this.changed(true);
    this.pump();
  }

  private progress(id: string, p: TransferProgress): void {
    if (!this.records.some((x) => x.id === id)) return;
    const before = this.get(id).state;
    // Terminal states come from the run's outcome, not from the engine's progress.
    if (p.state !== before && !isFinished(p.state)) {
      const next = nextState(before, { type: 'phase', state: p.state }, true);
      if (next !== null) this.setState(id, next);
    }
    this.update(id, (r) => ({ ...r, progress: p }));
    this.changed(this.get(id).state !== before);
  }

  private scheduleRetry(id: string, attempts: number): void {
    const delay = Math.min(MAX_RETRY_DELAY_MS, (this.o.retryBaseMs ?? 5000) * 2 ** Math.max(0, attempts - 1));
    const handle = this.o.timers.setTimeout(() => {
      this.retryTimers.delete(id);
      if (!this.records.some((x) => x.id === id) || this.get(id).state !== 'retrying') return;
      this.apply(id, { type: 'retry' }, 'retried');
      this.pump();
    }, delay);
    this.retryTimers.set(id, handle);
  }

  private clearRetry(id: string): void {
    const h = this.retryTimers.get(id);
    if (h !== undefined) this.o.timers.clearTimeout(h);
    this.retryTimers.delete(id);
  }

  /** After a restart: a run that was going on cannot be, any more. */
  private recover(r: TransferRecord): TransferRecord {
    const resumable = r.direction === 'download';
    const next = nextState(r.state, { type: 'recover', resumable }, r.running) ?? r.state;
    if (!r.running || next === r.state) return { ...r, running: false, state: r.state === 'retrying' ? 'queued' : r.state };
    const now = this.o.now();
    const error =
      next === 'failed'
        ? new DiskFerryError('cancelled', `DiskFerry was closed while this upload ran. The disk '${r.diskName}' may be left locked on the engine: check it in the Administration Portal, then retry.`, {
            retryable: false,
          }).toInfo()
        : null;
    return { ...r, running: false, state: next, error, finishedAt: next === 'failed' ? now : null, timeline: [...r.timeline, { state: next, at: now }] };
  }

  private apply(id: string, event: TransferEvent, verb: string): void {
    const r = this.get(id);
    const next = nextState(r.state, event, this.runs.has(id));
    if (next === null) throw notNow(r, verb);
    this.setState(id, next);
  }

  private setState(id: string, state: TransferRecord['state']): void {
    const at = this.o.now();
    this.update(id, (r) => (r.state === state ? r : { ...r, state, timeline: [...r.timeline, { state, at }] }));
    this.changed(true);
  }

  private update(id: string, f: (r: TransferRecord) => TransferRecord): void {
    this.records = this.records.map((r) => (r.id === id ? f(r) : r));
  }

  private finish(r: TransferRecord): void {
    try {
      this.o.onFinished?.(r);
    } catch (err) {
      this.o.log.warn('a transfer-finished listener failed', { error: (err as Error).message });
    }
  }

  private changed(urgent: boolean): void {
    if (urgent) this.save();
    for (const l of [...this.listeners]) l(urgent);
  }

  /** Saves after state changes, one write at a time (progress alone is not persisted). */
  private save(): void {
    if (this.closed) return;
    this.saving = this.saving
      .then(() => this.o.store.write('transfers', transfersDocument(this.records)))
      .catch((err: unknown) => this.o.log.warn('saving the transfer queue failed', { error: (err as Error).message }));
  }

  private setWindowTimer(needed: boolean): void {
    if (needed && this.windowTimer === null) this.windowTimer = this.o.timers.setInterval(() => this.pump(), WINDOW_CHECK_MS);
    else if (!needed && this.windowTimer !== null) {
      this.o.timers.clearInterval(this.windowTimer);
      this.windowTimer = null;
    }
  }

  private minuteOfDay(): number {
    if (this.o.minuteOfDay) return this.o.minuteOfDay();
    const d = new Date(this.o.now());
    return d.getHours() * 60 + d.getMinutes();
  }

  /** True while some run of this engine is active or pending (profiles in use cannot be removed). */
  hasWork(engineId: string): boolean {
    return this.records.some((r) => r.engineId === engineId && !isFinished(r.state));
  }

  /** Ids of the running transfers. */
  runningIds(): string[] {
    return this.records.filter((r) => this.runs.has(r.id) && (isActive(r.state) || r.state === 'paused')).map((r) => r.id);
  }
}

function unknown(): DiskFerryError {
  return new DiskFerryError('not-found', 'This transfer is no longer in the list.', { retryable: false });
}

function notNow(r: TransferRecord, verb: string): DiskFerryError {
  return new DiskFerryError('conflict', `${r.name} is ${r.state} and cannot be ${verb} now.`, { retryable: false });
}
