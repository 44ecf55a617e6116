/**
 * The engine's background work (phase polls, disk lock delays) as tracked timers, so close() can stop
 * all of it and a failing callback is reported instead of becoming an unhandled rejection.
 */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  private closed = false;

  /** Runs `fn` after `ms` (unless closed by then); errors are logged, never thrown. */
  after(ms: number, fn: () => unknown): void {
    if (this.closed) return;
    const handle = setTimeout(() => {
      this.pending.delete(handle);
      if (this.closed) return;
      Promise.resolve()
        .then(fn)
        .catch((err: unknown) => {
          console.error('engine simulator: background task failed:', err);
        });
    }, ms);
    this.pending.add(handle);
  }

  /** True once close() ran. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Cancels every pending timer; later after() calls do nothing. */
  close(): void {
    this.closed = true;
    for (const h of this.pending) clearTimeout(h);
    this.pending.clear();
  }
}
