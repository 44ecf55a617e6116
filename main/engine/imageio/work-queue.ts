import { MAX_WORKERS } from './server-options.js';
import { cancelledError } from './retry.js';

/**
 * The shared queue of a parallel copy. A worker that finds it empty waits while others are still
 * busy, because a failed request may put ranges back (a PUT 5xx resends everything since the last
 * flush); it gets null once the queue is empty and nobody is busy, or after close().
 */
export class WorkQueue<T> {
  private readonly items: T[];
  private busy = 0;
  private closed = false;
  private waiters: Array<() => void> = [];

  constructor(items: Iterable<T> = []) {
    this.items = [...items];
  }

  /** Number of items waiting. */
  get length(): number {
    return this.items.length;
  }

  /** The next item, marking the caller busy until done(); null when the work is over. */
  async take(): Promise<T | null> {
    for (;;) {
      if (this.closed) return null;
      const item = this.items.shift();
      if (item !== undefined) {
        this.busy++;
        return item;
      }
      if (this.busy === 0) {
        this.wake();
        return null;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Marks one taken item as finished (successfully or not). */
  done(): void {
    this.busy--;
    this.wake();
  }

  /** Adds items (to be done again, or for the first time). */
  push(...items: T[]): void {
    this.items.push(...items);
    this.wake();
  }

  /** Ends the work: every take() returns null. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/**
 * Runs `count` workers until they all finish. The first failure aborts the others (through the
 * signal they get and by closing the queue) and is thrown once they have stopped.
 */
export async function runWorkers(count: number, queue: WorkQueue<unknown>, signal: AbortSignal, work: (index: number, signal: AbortSignal) => Promise<void>): Promise<void> {
  const inner = new AbortController();
  const onAbort = () => {
    inner.abort(signal.reason);
    queue.close();
  };
  if (signal.aborted) throw cancelledError();
  signal.addEventListener('abort', onAbort, { once: true });
  let failure: { error: unknown } | null = null;
  try {
    await Promise.all(
      Array.from({ length: count }, async (_, index) => {
        try {
          await work(index, inner.signal);
        } catch (error) {
          if (!failure) {
            failure = { error };
            inner.abort(error);
            queue.close();
          }
        }
      }),
    );
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (signal.aborted) throw cancelledError();
  if (failure) throw (failure as { error: unknown }).error;
}

/** Workers for a copy: the user's choice capped by what the server allows, by 8, and by the work there is. */
export function workerCount(requested: number | undefined, serverMax: number, requests: number): number {
  return Math.max(1, Math.min(requested ?? 4, serverMax, MAX_WORKERS, requests));
}
