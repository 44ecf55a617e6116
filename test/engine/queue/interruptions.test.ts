/**
 * A kill is not the job's failure: attempts a crash cut short do not use up its retries (issue #16,
 * "found by killing queue run at random moments"). A scripted runner, a fake clock, a memory store.
 */
import { describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../../main/engine/errors.js';
import { silentLog } from '../../../main/engine/log.js';
import type { NewJob } from '../../../main/engine/queue/job.js';
import { utcCalendar } from '../../../main/engine/queue/schedule.js';
import { MemoryQueueStore, parseQueueDocument } from '../../../main/engine/queue/store.js';
import { TransferQueue } from '../../../main/engine/queue/transfer-queue.js';
import { FakeClock, settle } from './fake-clock.js';
import { ScriptedRunner } from './scripted-runner.js';

const job: NewJob = { kind: 'upload', engine: 'e1', upload: { path: '/img/a.raw', storageDomain: 'sd' } } as NewJob;

async function open(store: MemoryQueueStore) {
  const clock = new FakeClock(Date.parse('2024-01-01T12:00:00Z'));
  const runner = new ScriptedRunner();
  let ids = 0;
  const q = await TransferQueue.open(
    { store, runner, now: clock.now, timers: clock.timers, log: silentLog, calendar: utcCalendar, random: () => 0.5, newId: () => `id-${++ids}` },
    { retry: { maxAttempts: 2, baseDelayMs: 1000, maxDelayMs: 10_000 } },
  );
  return { q, runner, clock };
}

describe('TransferQueue: restarts after a crash', () => {
  it('does not count attempts a kill cut short against the retries', async () => {
    const store = new MemoryQueueStore();
    let id = '';
    // Four kills in a row, each in the middle of an attempt.
    for (let kill = 0; kill < 4; kill++) {
      const { q } = await open(store);
      if (kill === 0) id = (await q.add([job]))[0]!.id;
      q.start();
      await settle();
      // The process dies here: nothing more is written.
    }
    const saved = parseQueueDocument(await store.read())!.jobs[0]!;
    expect(saved).toMatchObject({ state: 'preparing', attempts: 4, interruptions: 3 });

    const { q, runner, clock } = await open(store);
    expect(q.get(id)).toMatchObject({ state: 'queued', attempts: 4, interruptions: 4 });
    q.start();
    await settle();
    // The fifth start is the job's first real try: a retryable failure is retried (two attempts allowed).
    runner.get(id).fail(new DiskFerryError('network', 'connection reset', { retryable: true }));
    await settle();
    expect(q.get(id).state).toBe('retrying');
    await clock.advance(10_000);
    await settle();
    runner.get(id).fail(new DiskFerryError('network', 'connection reset', { retryable: true }));
    await settle();
    expect(q.get(id)).toMatchObject({ state: 'failed', attempts: 6, interruptions: 4 });
  });

  it('does not count an attempt a shutdown stopped', async () => {
    const store = new MemoryQueueStore();
    const { q } = await open(store);
    // A download stops at once on shutdown (an upload waits for its engine pause).
    const [a] = await q.add([{ kind: 'download', engine: 'e1', download: { disk: 'disk-1', outputDir: '/tmp' } } as NewJob]);
    q.start();
    await settle();
    await q.close();
    expect(q.get(a!.id)).toMatchObject({ state: 'queued', attempts: 1, interruptions: 1 });
  });

  it('starts the count of interruptions again when the user retries the job', async () => {
    const store = new MemoryQueueStore();
    const first = await open(store);
    const [a] = await first.q.add([job]);
    first.q.start();
    await settle();
    // Killed once, then the next attempt fails for good.
    const { q, runner } = await open(store);
    q.start();
    await settle();
    runner.get(a!.id).fail(new DiskFerryError('bad-input', 'no', { retryable: false }));
    await settle();
    expect(q.get(a!.id)).toMatchObject({ state: 'failed', attempts: 2, interruptions: 1 });
    q.retry(a!.id);
    await settle();
    expect(q.get(a!.id)).toMatchObject({ attempts: 1, interruptions: 0 });
  });
});
