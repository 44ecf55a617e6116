/**
 * Injected faults under the queue: an engine that answers 503 for a while and a data server that
 * keeps failing PUTs are retried (job-level attempts, capped backoff) until the bytes are right; a
 * dropped download connection is absorbed; a failed verification fails at once with its reason while
 * the other jobs finish.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectDiskEqualsFile, expectFileEqualsDisk, KiB, makeSparseImage, MiB, startHarness, until, type Harness } from './helpers.js';
import { addSimDisk, downloadPath, openSimQueue } from './queue-helpers.js';

describe('transfer queue: faults and retries', () => {
  let h: Harness;
  let out: string;
  beforeAll(async () => {
    h = await startHarness('4.5');
    out = join(h.dir, 'out');
    await mkdir(out);
  });
  afterEach(() => h.resetFaults());
  afterAll(async () => {
    await h?.close();
  });

  async function image(name: string, size = 4 * MiB): Promise<string> {
    const file = join(h.dir, `${name}.raw`);
    await makeSparseImage(file, size, [
      { start: 0, length: 512 * KiB },
      { start: size / 2, length: MiB },
    ]);
    return file;
  }

  it('rides out an engine that answers 503 for a while', async () => {
    const file = await image('eng-down');
    const diskId = await addSimDisk(h.sim, 'eng-down-dl', 8 * MiB, [{ start: MiB, length: MiB }]);
    h.sim.faults.engineUnavailable = true;
    const { q, events } = await openSimQueue(h, { retry: { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 800 } });
    const [up, dl] = await q.add([
      { kind: 'upload', engine: 'sim', upload: { path: file, storageDomain: 'data-nfs' } },
      { kind: 'download', engine: 'sim', download: { disk: diskId, diskName: 'eng-down-dl', outputDir: out, size: 8 * MiB } },
    ]);
    q.start();
    await until(() => q.list().every((j) => j.attempts >= 2), 20_000, 'both jobs retried');
    h.sim.faults.engineUnavailable = false;
    const report = await q.whenIdle();
    await q.close();
    expect(report!.totals.completed).toBe(2);
    const retried = events.filter((e) => e.type === 'state' && e.job.state === 'retrying');
    expect(retried.length).toBeGreaterThanOrEqual(2);
    for (const e of retried) if (e.type === 'state') expect(e.job.error?.code).toBe('server-error');
    await expectDiskEqualsFile(h.sim, q.get(up!.id).result!.diskId, file);
    await expectFileEqualsDisk(h.sim, diskId, downloadPath(out, 'eng-down-dl'));
    expect(q.get(dl!.id).error).toBeNull();
  });

  it('retries an upload whose PUTs keep failing, and leaves no disk of the failed attempt', async () => {
    const file = await image('put-fail');
    const { q } = await openSimQueue(h);
    const [job] = await q.add([{ kind: 'upload', engine: 'sim', upload: { path: file, storageDomain: 'data-nfs' } }]);
    // During the first attempt every PUT answers 500, more often than the upload's own replays allow.
    const rearm = setInterval(() => {
      if (q.get(job!.id).attempts <= 1 && h.sim.faults.failNthPut === null) h.sim.faults.failNthPut = 1;
    }, 1);
    q.start();
    const report = await q.whenIdle();
    clearInterval(rearm);
    await q.close();
    const done = q.get(job!.id);
    expect(done).toMatchObject({ state: 'completed', attempts: 2 });
    expect(report!.rows[0]).toMatchObject({ outcome: 'completed', attempts: 2 });
    await expectDiskEqualsFile(h.sim, done.result!.diskId, file);
    expect([...h.sim.engine.state.disks.values()].filter((d) => d.name === 'put-fail')).toHaveLength(1);
  });

  it('absorbs a dropped download connection', async () => {
    const diskId = await addSimDisk(h.sim, 'drop-dl', 8 * MiB, [{ start: 0, length: 3 * MiB }]);
    h.sim.faults.dropAfterBytes = 700 * KiB;
    const { q } = await openSimQueue(h);
    await q.add([{ kind: 'download', engine: 'sim', download: { disk: diskId, diskName: 'drop-dl', outputDir: out, size: 8 * MiB } }]);
    q.start();
    const report = await q.whenIdle();
    await q.close();
    expect(report!.rows[0]!.outcome).toBe('completed');
    expect(h.sim.faults.dropAfterBytes).toBeNull();
    await expectFileEqualsDisk(h.sim, diskId, downloadPath(out, 'drop-dl'));
  });

  it('fails a verification mismatch at once with its reason, and the other jobs finish', async () => {
    const bad = await image('verify-bad');
    const good = await image('verify-good');
    const { q } = await openSimQueue(h, { limits: { concurrency: 1, perEngine: null, perStorageDomain: null } });
    h.sim.faults.failFinalizeVerification = true;
    const [first, second] = await q.add([
      { kind: 'upload', engine: 'sim', upload: { path: bad, storageDomain: 'data-nfs' } },
      { kind: 'upload', engine: 'sim', upload: { path: good, storageDomain: 'data-nfs' } },
    ]);
    q.start();
    const report = await q.whenIdle();
    await q.close();
    expect(q.get(first!.id)).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'verification-failed' } });
    expect(report!.rows.find((r) => r.jobId === first!.id)).toMatchObject({ outcome: 'failed', code: 'verification-failed' });
    expect(report!.rows.find((r) => r.jobId === first!.id)!.reason).toMatch(/did not accept/);
    expect(q.get(second!.id).state).toBe('completed');
    await expectDiskEqualsFile(h.sim, q.get(second!.id).result!.diskId, good);
    expect([...h.sim.engine.state.disks.values()].filter((d) => d.name === 'verify-bad')).toEqual([]);
  });
});
