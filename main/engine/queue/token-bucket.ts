import { sleep, type Timers } from '../timers.js';

/** The ports of a token bucket. */
export interface TokenBucketPorts {
  readonly now: () => number;
  readonly timers: Timers;
}

/**
 * One bandwidth limit shared by every worker of every transfer. Each call reserves its bytes at
 * once and waits until the bucket has paid them off, so concurrent callers are paced in the order
 * they asked and the long-run rate is exact (a reservation may drive the balance below zero; the
 * next caller waits for that debt too). Little credit is saved up while idle: at most `burstMs` worth.
 */
export class TokenBucket {
  private rate: number | null;
  private tokens = 0;
  private last: number;

  constructor(
    private readonly ports: TokenBucketPorts,
    /** Bytes per second; null = unlimited. */
    rate: number | null,
    private readonly burstMs = 100,
  ) {
    this.rate = validRate(rate);
    this.last = ports.now();
  }

  /** The current limit in bytes per second (null = unlimited). */
  get limit(): number | null {
    return this.rate;
  }

  /**
   * Changes the limit (the window opened or closed). Reservations already made keep their wait; the
   * balance starts again from zero, so a change never releases a burst.
   */
  setRate(rate: number | null): void {
    const next = validRate(rate);
    if (next === this.rate) return;
    this.refill();
    this.rate = next;
    this.tokens = Math.min(this.tokens, 0);
  }

  /** Waits until `bytes` more may cross the network; rejects when the signal aborts (the bytes are given back). */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (this.rate === null || bytes <= 0) return;
    signal?.throwIfAborted();
    this.refill();
    this.tokens -= bytes;
    if (this.tokens >= 0) return;
    const waitMs = (-this.tokens / this.rate) * 1000;
    try {
      await sleep(this.ports.timers, waitMs, signal);
    } catch (err) {
      this.tokens += bytes;
      throw err;
    }
  }

  private refill(): void {
    const t = this.ports.now();
    const elapsed = Math.max(0, t - this.last);
    this.last = t;
    if (this.rate === null) return;
    const cap = (this.rate * this.burstMs) / 1000;
    // Paying off debt has no cap; only saved-up credit is capped.
    this.tokens = Math.min(Math.max(cap, this.tokens), this.tokens + (elapsed / 1000) * this.rate);
  }
}

function validRate(rate: number | null): number | null {
  return rate !== null && Number.isFinite(rate) && rate > 0 ? rate : null;
}
