import { errorCode, errorMessage } from '../errors.js';
import type { Log } from '../log.js';
import type { Timers } from '../timers.js';

/** What the keep-alive needs: the engine action and a cheap data-plane request. */
export interface KeepAliveTargets {
  /** POST …/imagetransfers/{id}/extend: keeps 4.1-era sessions alive and refreshes last_updated. */
  extend(): Promise<void>;
  /** OPTIONS on the ticket: touches the imageio ticket so the engine sees activity (4.2.3+). */
  ping(): Promise<void>;
}

/**
 * Keeps a transfer session open: `extend` on a timer well inside the inactivity timeout, and, while
 * no data moves (paused, verifying, waiting), an imageio OPTIONS so the ticket's idle_time stays low.
 * Failures are logged, never thrown: the transfer's own requests report real problems.
 */
export class KeepAlive {
  private handle: unknown = null;
  private dataFlowing = false;
  private busy = false;

  constructor(
    private readonly timers: Timers,
    private readonly targets: KeepAliveTargets,
    private readonly log: Log,
    /** The transfer's inactivity timeout in seconds (0 = none: still extend every minute). */
    inactivityTimeoutSeconds: number,
    private readonly intervalMs = keepAliveInterval(inactivityTimeoutSeconds),
  ) {}

  /** Starts the timer. */
  start(): void {
    if (this.handle !== null) return;
    this.handle = this.timers.setInterval(() => void this.tick(), this.intervalMs);
  }

  /** Tells whether data requests are running (then no OPTIONS ping is needed). */
  setDataFlowing(flowing: boolean): void {
    this.dataFlowing = flowing;
  }

  /** Runs one keep-alive round now. */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.targets.extend().catch((err: unknown) => this.log.warn('extend failed', { error: errorMessage(err) }));
      if (!this.dataFlowing)
        await this.targets.ping().catch((err: unknown) => {
          // Stopped meanwhile (Ctrl-C, a pause): nothing went wrong worth a warning.
          if (errorCode(err) !== 'cancelled') this.log.warn('keep-alive OPTIONS failed', { error: errorMessage(err) });
        });
    } finally {
      this.busy = false;
    }
  }

  /** Stops the timer. */
  stop(): void {
    if (this.handle !== null) this.timers.clearInterval(this.handle);
    this.handle = null;
  }
}

/** A third of the inactivity timeout, between 5 and 60 seconds. */
export function keepAliveInterval(inactivityTimeoutSeconds: number): number {
  const base = inactivityTimeoutSeconds > 0 ? (inactivityTimeoutSeconds * 1000) / 3 : 60_000;
  return Math.max(5_000, Math.min(60_000, base));
}
