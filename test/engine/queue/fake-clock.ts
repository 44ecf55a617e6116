/**
 * A clock and Timers port driven by the test: time stands still until advance() moves it, firing
 * the timers that fall due in order (and letting promise chains run after each one).
 */
import type { Timers } from '../../../main/engine/timers.js';

interface Pending {
  readonly id: number;
  at: number;
  readonly fn: () => void;
  readonly every: number | null;
}

/** See the file comment. */
export class FakeClock {
  private pending: Pending[] = [];
  private seq = 0;

  constructor(public t: number) {}

  /** The clock port. */
  readonly now = (): number => this.t;

  /** The timers port. */
  readonly timers: Timers = {
    setTimeout: (fn, ms) => this.add(fn, ms, null),
    clearTimeout: (h) => this.remove(h),
    setInterval: (fn, ms) => this.add(fn, ms, Math.max(1, ms)),
    clearInterval: (h) => this.remove(h),
  };

  /** How many timers are armed. */
  get armed(): number {
    return this.pending.length;
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const next = this.pending.filter((p) => p.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.t = Math.max(this.t, next.at);
      if (next.every === null) this.remove(next.id);
      else next.at += next.every;
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }

  private add(fn: () => void, ms: number, every: number | null): number {
    const id = ++this.seq;
    this.pending.push({ id, at: this.t + Math.max(0, ms), fn, every });
    return id;
  }

  private remove(handle: unknown): void {
    this.pending = this.pending.filter((p) => p.id !== handle);
  }
}

/** Lets pending promise chains and immediate callbacks run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/**
 * For a fake clock that paces real work (a bandwidth limit's): moves `clock` by `ms`, then waits on
 * the real clock until the work that step released waits on the clock again, i.e. as many timers are
 * armed as before. Work that ran out does not come back, so the wait also ends once neither the armed
 * count nor `progress()` has changed for `quietMs` and `quietPolls` polls. Both, because on a busy
 * machine the whole process can stall: one late poll then sees nothing changed only because the
 * work's own callbacks have not run yet, and a step taken too early lets the work fall behind.
 */
export async function advanceAndSettle(clock: FakeClock, ms: number, progress: () => number, quietMs = 100, quietPolls = 25): Promise<void> {
  const parked = clock.armed;
  await clock.advance(ms);
  let seen = '';
  let since = Date.now();
  let polls = 0;
  while (clock.armed < parked) {
    const now = `${clock.armed} ${progress()}`;
    if (now !== seen) [seen, since, polls] = [now, Date.now(), 0];
    else if (++polls >= quietPolls && Date.now() - since > quietMs) break;
    await new Promise((r) => setTimeout(r, 1));
  }
}
