import type { RunReport } from './report.js';

/**
 * A batch is the work between two idle moments of the queue. This keeps the promise `whenIdle`
 * hands out and finishes each batch once: when nothing is busy any more, `finish` writes the report
 * and the waiters get it. Work added while the report is written keeps the batch going.
 */
export class BatchTracker {
  private current: { promise: Promise<RunReport | null>; resolve: (r: RunReport | null) => void } | null = null;
  private finishing = false;
  private last: RunReport | null = null;

  constructor(
    /** Whether anything runs or can start by itself. */
    private readonly busy: () => boolean,
    /** Writes the batch's report (null when no job ended) and announces it. */
    private readonly finish: () => Promise<RunReport | null>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Resolves when the current batch is over (at once, with the last report, when none runs). */
  whenIdle(): Promise<RunReport | null> {
    return this.current?.promise ?? Promise.resolve(this.last);
  }

  /** Starts a batch unless one is going. */
  begin(): void {
    if (this.current) return;
    let resolve!: (r: RunReport | null) => void;
    const promise = new Promise<RunReport | null>((r) => (resolve = r));
    this.current = { promise, resolve };
  }

  /** Called after every change: begins a batch when busy, finishes it when idle. */
  check(): void {
    if (this.busy()) return this.begin();
    if (!this.current || this.finishing) return;
    this.finishing = true;
    const done = (report: RunReport | null) => {
      this.finishing = false;
      this.last = report;
      if (this.busy() || !this.current) return;
      const batch = this.current;
      this.current = null;
      batch.resolve(report);
    };
    this.finish().then(done, (err: unknown) => {
      this.onError(err);
      done(null);
    });
  }

  /** Ends the waiting without a report (the queue closed). */
  abandon(): void {
    this.current?.resolve(null);
    this.current = null;
  }
}
