import { describe, expect, it } from 'vitest';
import { retryDelay, wait } from '../../../main/engine/ovirt/timing.js';
import { realTimers } from '../../../main/engine/timers.js';

const policy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 4_000 };

describe('retryDelay', () => {
  it('doubles from the base and stays between half and all of it', () => {
    expect(retryDelay(1, policy, () => 0)).toBe(250);
    expect(retryDelay(1, policy, () => 1)).toBe(500);
    expect(retryDelay(2, policy, () => 1)).toBe(1000);
    expect(retryDelay(3, policy, () => 0.5)).toBe(1500);
  });
  it('is capped', () => {
    expect(retryDelay(10, policy, () => 1)).toBe(4_000);
  });
});

describe('wait', () => {
  it('rejects with a cancelled DiskFerryError when the signal aborts', async () => {
    const ac = new AbortController();
    const p = wait(realTimers, 10_000, ac.signal, 'Waiting for the disk');
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'cancelled', message: 'Waiting for the disk was cancelled.' });
  });
});
