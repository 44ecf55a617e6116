import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../main/engine/queue/token-bucket.js';
import { FakeClock, settle } from './fake-clock.js';

const MiB = 1024 * 1024;

describe('TokenBucket', () => {
  it('paces concurrent callers to the rate, in the order they asked', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ now: clock.now, timers: clock.timers }, 4 * MiB, 0);
    const doneAt: number[] = [];
    const takes = [0, 1, 2, 3].map((i) => bucket.take(MiB).then(() => (doneAt[i] = clock.t)));
    await clock.advance(2000);
    await Promise.all(takes);
    // 1 MiB at 4 MiB/s is 250 ms each.
    expect(doneAt).toEqual([250, 500, 750, 1000]);
  });

  it('holds the long-run rate across many pieces, whatever their sizes', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ now: clock.now, timers: clock.timers }, 10 * MiB);
    let moved = 0;
    const worker = async (piece: number) => {
      for (;;) {
        await bucket.take(piece);
        if (clock.t > 10_000) return;
        moved += piece;
      }
    };
    const workers = [worker(4 * MiB), worker(MiB), worker(256 * 1024)];
    await clock.advance(10_001);
    await clock.advance(5000);
    await Promise.all(workers);
    expect(moved / 10).toBeGreaterThan(10 * MiB * 0.95);
    expect(moved / 10).toBeLessThan(10 * MiB * 1.05);
  });

  it('lets everything through when unlimited, and saves little credit while idle', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ now: clock.now, timers: clock.timers }, null);
    await bucket.take(1e12);
    bucket.setRate(MiB);
    await clock.advance(60_000);
    let done = false;
    void bucket.take(MiB).then(() => (done = true));
    await settle();
    // A minute idle bought only the 100 ms burst, not a minute of credit.
    expect(done).toBe(false);
    await clock.advance(900);
    expect(done).toBe(true);
  });

  it('gives the bytes back when the waiting caller is aborted', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket({ now: clock.now, timers: clock.timers }, MiB, 0);
    const ac = new AbortController();
    const first = bucket.take(MiB, ac.signal);
    ac.abort(new Error('paused'));
    await expect(first).rejects.toThrow('paused');
    let at = -1;
    void bucket.take(MiB).then(() => (at = clock.t));
    await clock.advance(2000);
    expect(at).toBe(1000);
  });
});
