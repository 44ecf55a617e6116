/** A few at a time: at most `limit` calls in flight, results in order, the first failure stops the rest. */
import { describe, expect, it } from 'vitest';
import { fewAtATime } from '../../main/engine/few-at-a-time.js';

describe('fewAtATime', () => {
  it('keeps at most the limit in flight and the results in the items’ order', async () => {
    let inFlight = 0;
    let most = 0;
    const items = Array.from({ length: 25 }, (_, i) => i);
    const results = await fewAtATime(items, 4, async (n) => {
      most = Math.max(most, ++inFlight);
      // Later items answer sooner: the order of the results must not follow the answers.
      await new Promise((r) => setTimeout(r, (25 - n) % 5));
      inFlight--;
      return n * 2;
    });
    expect(results).toEqual(items.map((n) => n * 2));
    expect(most).toBe(4);
    expect(await fewAtATime([], 4, () => Promise.resolve(1))).toEqual([]);
  });

  it('rejects with the first failure and starts no further item', async () => {
    const started: number[] = [];
    const run = fewAtATime(Array.from({ length: 20 }, (_, i) => i), 2, async (n) => {
      started.push(n);
      await new Promise((r) => setTimeout(r, 1));
      if (n === 3) throw new Error('disk 3 is gone');
      return n;
    });
    await expect(run).rejects.toThrow('disk 3 is gone');
    await new Promise((r) => setTimeout(r, 20));
    expect(Math.max(...started)).toBeLessThan(6);
  });
});
