import { DiskFerryError, errorMessage } from '../errors.js';
import type { Log } from '../log.js';
import type { QueueJob } from './job.js';
import { QueuePersistence } from './persistence.js';
import type { QueueEvent, QueueListener } from './queue-types.js';
import { nextState, type JobEvent } from './states.js';
import type { QueueStore } from './store.js';

/**
 * The queue's jobs in order and the one place they change. Jobs are immutable snapshots: a change
 * replaces one. A state changes only through `nextState` (states.ts), is saved through the store and
 * told to the listeners; other changes are saved and told by the caller, who knows how soon.
 */
export class JobBook {
  private jobs: QueueJob[] = [];
  /**
   * Each job's position in `jobs`, built again when the list is replaced. A change to one job keeps
   * every position, so looking a job up is O(1): the queue looks up every job each time it pumps,
   * and a thousand jobs paused at once took 7 s with a scan per look-up.
   */
  private positions = new Map<string, number>();
  private readonly listeners = new Set<QueueListener>();
  /** Writes the jobs (and the run reports) through the store. */
  readonly persistence: QueuePersistence;

  constructor(private readonly ports: { readonly store: QueueStore; readonly log: Log; readonly now: () => number }) {
    this.persistence = new QueuePersistence(ports.store, ports.log, () => this.jobs);
  }

  /** Reads the stored jobs (see QueuePersistence.load). */
  async load(): Promise<void> {
    this.replace((await this.persistence.load()).jobs);
  }

  /** All jobs in queue order. */
  list(): readonly QueueJob[] {
    return this.jobs;
  }

  /** Replaces the whole list (jobs added, removed, moved or reported). */
  replace(jobs: QueueJob[]): void {
    this.jobs = jobs;
    this.positions = new Map(jobs.map((j, i) => [j.id, i]));
  }

  /** Whether the queue has this job. */
  has(id: string): boolean {
    return this.positions.has(id);
  }

  /** One job; `not-found` when there is none. */
  get(id: string): QueueJob {
    const at = this.positions.get(id);
    const job = at === undefined ? undefined : this.jobs[at];
    if (!job) throw new DiskFerryError('not-found', `There is no job ${id} in the queue.`, { retryable: false });
    return job;
  }

  /** Replaces one job by `f` of it (neither saved nor told). */
  update(id: string, f: (j: QueueJob) => QueueJob): void {
    const at = this.positions.get(id);
    if (at === undefined) return;
    // A new array, as before: a caller iterating list() keeps the list it started with.
    const jobs = this.jobs.slice();
    jobs[at] = f(jobs[at]!);
    this.jobs = jobs;
  }

  /** Applies an event through nextState; an event that does not apply changes nothing. */
  apply(id: string, event: JobEvent, note?: string): void {
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

  /** A run that a crash, kill or shutdown cut short: the job runs again, and the attempt is not held against its retries. */
  interrupt(id: string, note?: string): void {
    this.update(id, (j) => ({ ...j, interruptions: Math.min(j.attempts, j.interruptions + 1) }));
    this.apply(id, { type: 'interrupted' }, note);
  }

  /** Listens to queue events; returns the unsubscribe function. */
  on(listener: QueueListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Tells every listener; one that throws is logged and the others still hear. */
  emit(event: QueueEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (err) {
        this.ports.log.warn('a queue listener failed', { error: errorMessage(err) });
      }
    }
  }
}
