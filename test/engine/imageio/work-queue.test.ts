import { describe, expect, it } from 'vitest';
import { runWorkers, workerCount, WorkQueue } from '../../../main/engine/imageio/work-queue.js';

describe('WorkQueue and runWorkers', () => {
  it('gives every item to exactly one worker', async () => {
    const queue = new WorkQueue([1, 2, 3, 4, 5, 6, 7]);
    const seen: number[] = [];
    await runWorkers(3, queue, new AbortController().signal, async () => {
      for (let item = await queue.take(); item !== null; item = await queue.take()) {
        await new Promise((r) => setTimeout(r, 1));
        seen.push(item);
        queue.done();
      }
    });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('keeps idle workers waiting while a busy worker may put items back', async () => {
    const queue = new WorkQueue(['a']);
    const ran: Array<[number, string]> = [];
    let requeued = false;
    await runWorkers(2, queue, new AbortController().signal, async (index) => {
      for (let item = await queue.take(); item !== null; item = await queue.take()) {
        await new Promise((r) => setTimeout(r, 5));
        ran.push([index, item]);
        if (!requeued) {
          requeued = true;
          queue.push('b', 'c');
        }
        queue.done();
      }
    });
    expect(ran.map(([, item]) => item).sort()).toEqual(['a', 'b', 'c']);
    expect(new Set(ran.map(([index]) => index)).size).toBe(2);
  });

  it('stops the other workers and throws the first failure', async () => {
    const queue = new WorkQueue(Array.from({ length: 100 }, (_, i) => i));
    let processed = 0;
    const boom = new Error('boom');
    const run = runWorkers(4, queue, new AbortController().signal, async (_index, signal) => {
      for (let item = await queue.take(); item !== null; item = await queue.take()) {
        try {
          if (item === 3) throw boom;
          await new Promise((r) => setTimeout(r, 2));
          if (signal.aborted) return;
          processed++;
        } finally {
          queue.done();
        }
      }
    });
    await expect(run).rejects.toBe(boom);
    expect(processed).toBeLessThan(20);
  });

  it('throws cancelled when the caller aborts', async () => {
    const queue = new WorkQueue([1, 2, 3]);
    const ac = new AbortController();
    const run = runWorkers(2, queue, ac.signal, async (_i, signal) => {
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    });
    ac.abort();
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('caps workers by the server, by 8 and by the work', () => {
    expect(workerCount(undefined, 8, 100)).toBe(4);
    expect(workerCount(16, 8, 100)).toBe(8);
    expect(workerCount(16, 16, 100)).toBe(8);
    expect(workerCount(4, 1, 100)).toBe(1);
    expect(workerCount(4, 8, 2)).toBe(2);
    expect(workerCount(4, 8, 0)).toBe(1);
  });
});
