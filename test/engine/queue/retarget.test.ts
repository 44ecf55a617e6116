/**
 * TransferQueue.retarget and duplicates, with a scripted runner: a failed job sent elsewhere runs
 * again with a fresh record after what it left is cleaned up; a pending one keeps its turn; a
 * running, finished or clashing one is refused; a batch learns which of its jobs repeat work.
 */
import { describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../../main/engine/errors.js';
import { silentLog } from '../../../main/engine/log.js';
import type { NewJob } from '../../../main/engine/queue/job.js';
import { MemoryQueueStore } from '../../../main/engine/queue/store.js';
import { TransferQueue } from '../../../main/engine/queue/transfer-queue.js';
import { FakeClock, settle } from './fake-clock.js';
import { ScriptedRunner } from './scripted-runner.js';

const upload = (n: number, domain = 'sd-full'): NewJob => ({ kind: 'upload', engine: 'e1', storageDomainKey: domain, start: 'now', upload: { path: `/img/${n}.raw`, storageDomain: domain, diskName: `disk-${n}` } });

async function setup() {
  const clock = new FakeClock(Date.parse('2024-01-01T12:00:00Z'));
  const runner = new ScriptedRunner();
  let ids = 0;
  const q = await TransferQueue.open(
    { store: new MemoryQueueStore(), runner, now: clock.now, timers: clock.timers, log: silentLog, random: () => 0.5, newId: () => `id-${++ids}` },
    { retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 10_000 } },
  );
  return { q, runner, clock };
}

describe('TransferQueue.retarget', () => {
  it('runs a failed upload again on its new domain, with the old attempt cleaned up and nothing of it kept', async () => {
    const { q, runner } = await setup();
    const [job] = await q.add([upload(1)]);
    q.start();
    await settle();
    runner.get(job!.id).ctx.remember({ diskId: 'old-disk', transferId: 'old-transfer' });
    await settle();
    runner.get(job!.id).fail(new DiskFerryError('domain-full', 'sd-full has 3.0 GiB free', { retryable: false }));
    await settle();
    expect(q.get(job!.id)).toMatchObject({ state: 'failed', attempts: 1, diskId: 'old-disk' });
    await expect(q.retarget(job!.id, { kind: 'download', download: { disk: 'd', outputDir: '/tmp' } })).rejects.toMatchObject({ code: 'bad-input' });

    const changed = await q.retarget(job!.id, { kind: 'upload', upload: { path: '/img/1.raw', storageDomain: 'sd-roomy', diskName: 'disk-1b' }, storageDomainKey: 'sd-roomy' });
    expect(runner.discarded).toEqual([job!.id]);
    expect(changed).toMatchObject({ diskId: null, transferId: null, error: null, attempts: 1, storageDomainKey: 'sd-roomy', label: 'disk-1b', upload: { storageDomain: 'sd-roomy', diskName: 'disk-1b' } });
    await settle();
    expect(runner.get(job!.id).job).toMatchObject({ upload: { storageDomain: 'sd-roomy' } });
    // Running now: it cannot be changed under the run.
    await expect(q.retarget(job!.id, { kind: 'upload', upload: { path: '/img/1.raw', storageDomain: 'sd-x' }, storageDomainKey: 'sd-x' })).rejects.toMatchObject({ code: 'conflict' });
    runner.get(job!.id).succeed();
    await settle();
    expect(q.get(job!.id).state).toBe('completed');
    await expect(q.retarget(job!.id, { kind: 'upload', upload: { path: '/img/1.raw', storageDomain: 'sd-x' }, storageDomainKey: 'sd-x' })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('keeps a waiting job waiting, discards nothing for a job that never ran, and refuses the target of another unfinished job', async () => {
    const { q, runner } = await setup();
    const [a, b] = await q.add([upload(1), upload(2)]); // not started: both stay queued
    await expect(q.retarget(b!.id, { kind: 'upload', upload: { path: '/img/1.raw', storageDomain: 'sd-full', diskName: 'disk-1' }, storageDomainKey: 'sd-full' })).rejects.toMatchObject({
      code: 'bad-input',
      message: expect.stringMatching(/already in the queue with that target \(job id-1\)/),
    });
    const changed = await q.retarget(b!.id, { kind: 'upload', upload: { path: '/img/2.raw', storageDomain: 'sd-roomy', diskName: 'disk-2' }, storageDomainKey: 'sd-roomy' });
    expect(changed.state).toBe('queued');
    expect(runner.discarded).toEqual([]);
    expect(q.list().map((j) => j.id)).toEqual([a!.id, b!.id]);
  });

  it('tells which jobs of a batch repeat an unfinished job or an earlier one of the batch', async () => {
    const { q } = await setup();
    const [a] = await q.add([upload(1)]);
    expect(q.duplicates([upload(2), upload(1), upload(2), upload(3)])).toEqual([null, { reason: 'in-queue', jobId: a!.id }, { reason: 'in-batch', index: 0 }, null]);
  });
});
