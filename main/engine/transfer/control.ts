import { DiskFerryError } from '../errors.js';

/**
 * Pause, resume and cancel for one running transfer. Cancel is final (its signal aborts everything);
 * pause aborts only the current data phase, whose loop then waits for resume() and carries on with
 * what is left.
 */
export class TransferControl {
  private readonly cancelController = new AbortController();
  private runController = new AbortController();
  private pausedFlag = false;
  private detachedFlag = false;
  private resumeWaiters: Array<() => void> = [];

  constructor(parent?: AbortSignal) {
    if (parent) {
      if (parent.aborted) this.cancel();
      else parent.addEventListener('abort', () => this.cancel(), { once: true });
    }
  }

  /** Aborted when the transfer is cancelled. */
  get cancelSignal(): AbortSignal {
    return this.cancelController.signal;
  }

  /** Aborted when the transfer is paused or cancelled: give it to the data phase. */
  get runSignal(): AbortSignal {
    return this.runController.signal;
  }

  /** True while paused. */
  get paused(): boolean {
    return this.pausedFlag;
  }

  /** True once cancelled. */
  get cancelled(): boolean {
    return this.cancelController.signal.aborted;
  }

  /** True once detached: the run stopped locally and left its engine transfer as it was. */
  get detached(): boolean {
    return this.detachedFlag;
  }

  /** Pauses the data phase (no effect when already paused or cancelled). */
  pause(): void {
    if (this.pausedFlag || this.cancelled) return;
    this.pausedFlag = true;
    this.runController.abort(new DiskFerryError('cancelled', 'Paused.', { retryable: false }));
  }

  /** Resumes after pause(). */
  resume(): void {
    if (!this.pausedFlag) return;
    this.pausedFlag = false;
    this.runController = new AbortController();
    const waiters = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const w of waiters) w();
  }

  /** Cancels the transfer. */
  cancel(): void {
    if (this.cancelled) return;
    const reason = new DiskFerryError('cancelled', 'The transfer was cancelled.', { retryable: false });
    this.cancelController.abort(reason);
    this.runController.abort(reason);
    const waiters = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Stops the run here without ending its transfer on the engine (a paused upload a later process
   * re-attaches): like cancel() for the local run, but its cleanup leaves the engine alone.
   */
  detach(): void {
    if (this.cancelled) return;
    this.detachedFlag = true;
    this.cancel();
  }

  /** Resolves on resume(); rejects with `cancelled` on cancel(). */
  waitForResume(): Promise<void> {
    if (this.cancelled) return Promise.reject(this.cancelController.signal.reason);
    if (!this.pausedFlag) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.resumeWaiters.push(() => (this.cancelled ? reject(this.cancelController.signal.reason) : resolve()));
    });
  }

  /** Throws `cancelled` if cancelled. */
  throwIfCancelled(): void {
    this.cancelController.signal.throwIfAborted();
  }
}
