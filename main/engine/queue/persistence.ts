import { DiskFerryError, errorMessage } from '../errors.js';
import type { Log } from '../log.js';
import type { QueueJob } from './job.js';
import type { RunReport } from './report.js';
import { parseQueueDocument, REPORT_HISTORY, type QueueDocument, type QueueStore } from './store.js';

/**
 * Writes the queue through the store one document at a time: changes made while a write runs are
 * folded into the next one, so the file always holds a whole, recent queue. State changes are saved
 * at once; progress only marks the queue dirty and is saved on the queue's timer.
 */
export class QueuePersistence {
  private history: RunReport[] = [];
  private writing: Promise<void> | null = null;
  private again = false;
  private dirty = false;
  private lastError: unknown = null;

  constructor(
    private readonly store: QueueStore,
    private readonly log: Log,
    private readonly jobs: () => readonly QueueJob[],
  ) {}

  /** Reads the stored queue; an unreadable one is an error (never silently replaced by an empty queue). */
  async load(): Promise<QueueDocument> {
    const doc = parseQueueDocument(await this.store.read());
    if (!doc)
      throw new DiskFerryError('io', 'The stored transfer queue cannot be read (it is damaged or from a newer DiskFerry). It was left as it is; move it away to start an empty queue.', {
        retryable: false,
      });
    this.history = [...doc.reports];
    return doc;
  }

  /** The kept run reports, oldest first. */
  get reports(): readonly RunReport[] {
    return this.history;
  }

  /** Adds a report to the history (saved with the next write). */
  addReport(report: RunReport): void {
    this.history = [...this.history, report].slice(-REPORT_HISTORY);
  }

  /** Notes unsaved progress. */
  markDirty(): void {
    this.dirty = true;
  }

  /** Saves if progress changed since the last write. */
  saveIfDirty(): void {
    if (this.dirty) this.save();
  }

  /** Saves soon (errors are logged). */
  save(): void {
    void this.saveNow().catch(() => {});
  }

  /**
   * Resolves once a write that includes every change made before this call is on disk. With
   * `mustSucceed`, a failed write rejects (the caller must not go on as if it were saved).
   */
  async saveNow(options: { mustSucceed?: boolean } = {}): Promise<void> {
    this.again = true;
    this.writing ??= this.drain();
    await this.writing;
    if (options.mustSucceed && this.lastError !== null)
      throw new DiskFerryError('io', `The transfer queue could not be saved: ${errorMessage(this.lastError)}`, { cause: this.lastError, retryable: true });
  }

  private async drain(): Promise<void> {
    try {
      while (this.again) {
        this.again = false;
        this.dirty = false;
        try {
          await this.store.write(this.document());
          this.lastError = null;
        } catch (err) {
          this.lastError = err;
          this.log.error('saving the transfer queue failed', { error: errorMessage(err) });
        }
      }
    } finally {
      this.writing = null;
    }
  }

  private document(): QueueDocument {
    return { version: 1, jobs: [...this.jobs()], reports: this.history };
  }
}
