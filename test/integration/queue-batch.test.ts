/**
 * The queue against the simulator: a batch of 20 mixed uploads and downloads with concurrency 3,
 * plus two jobs that cannot succeed; every byte checked, the report checked row by row.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewJob } from '../../main/engine/queue/job.js';
import { expectDiskEqualsFile, expectFileEqualsDisk, KiB, makeSparseImage, MiB, startHarness, transferPhasesOf, type Harness } from './helpers.js';
import { addSimDisk, downloadPath, maxRunning, openSimQueue } from './queue-helpers.js';

describe('transfer queue: a mixed batch', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('4.5');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('runs 20 jobs three at a time with correct bytes; a failed job does not stop the others; the report lists every job', async () => {
    const out = join(h.dir, 'out');
    await mkdir(out);
    const jobs: NewJob[] = [];
    const uploads: string[] = [];
    const downloads: Array<{ id: string; name: string }> = [];
    for (let i = 0; i < 10; i++) {
      const file = join(h.dir, `up-${i}.raw`);
      await makeSparseImage(file, 4 * MiB + i * 64 * KiB, [
        { start: 0, length: 64 * KiB + i * 4 * KiB },
        { start: 2 * MiB, length: 256 * KiB },
      ]);
      uploads.push(file);
      jobs.push({ kind: 'upload', engine: 'sim', storageDomainKey: 'data-nfs', upload: { path: file, storageDomain: 'data-nfs' } });
      const name = `dl-${i}`;
      const id = await addSimDisk(h.sim, name, 8 * MiB, [
        { start: 512 * KiB, length: 128 * KiB + i * 8 * KiB },
        { start: 5 * MiB, length: 320 * KiB },
      ]);
      downloads.push({ id, name });
      jobs.push({ kind: 'download', engine: 'sim', label: name, download: { disk: id, diskName: name, outputDir: out, size: 8 * MiB } });
    }
    // Two that cannot succeed: a domain in maintenance, a disk that does not exist.
    const badFile = join(h.dir, 'bad.raw');
    await makeSparseImage(badFile, MiB, [{ start: 0, length: 64 * KiB }]);
    jobs.splice(3, 0, { kind: 'upload', engine: 'sim', upload: { path: badFile, storageDomain: 'data-maint' } });
    jobs.splice(9, 0, { kind: 'download', engine: 'sim', download: { disk: '00000000-0000-4000-a000-000000000000', diskName: 'ghost', outputDir: out, size: null } });

    const { q, events } = await openSimQueue(h, { limits: { concurrency: 3, perEngine: null, perStorageDomain: null } });
    const added = await q.add(jobs);
    q.start();
    const report = await q.whenIdle();
    await q.close();

    expect(maxRunning(events)).toBe(3);
    const byState = (s: string) => q.list().filter((j) => j.state === s).length;
    expect(byState('completed')).toBe(20);
    expect(byState('failed')).toBe(2);

    for (const [i, file] of uploads.entries()) {
      const job = q.list().find((j) => j.kind === 'upload' && j.upload.path === file)!;
      await expectDiskEqualsFile(h.sim, job.result!.diskId, file);
      expect(job.result!.diskName, `upload ${i}`).toBe(`up-${i}`);
      expect(transferPhasesOf(h.sim, job.result!.diskId).every((p) => p === 'finished_success')).toBe(true);
    }
    for (const d of downloads) await expectFileEqualsDisk(h.sim, d.id, downloadPath(out, d.name));
    // The failed upload left no disk behind.
    expect([...h.sim.engine.state.disks.values()].filter((d) => d.name === 'bad')).toEqual([]);

    expect(report!.rows).toHaveLength(22);
    expect(report!.rows.map((r) => r.jobId)).toEqual(added.map((j) => j.id));
    for (const row of report!.rows) {
      const job = q.get(row.jobId);
      if (job.state === 'completed') {
        expect(row).toMatchObject({ outcome: 'completed', reason: null, bytes: job.result!.dataBytes, digest: job.result!.digest });
        expect(row.durationMs).toBeGreaterThan(0);
        expect(row.averageRate).toBeGreaterThan(0);
        if (job.kind === 'download') expect(row.target).toBe(downloadPath(out, job.download.diskName!));
        else if (job.kind === 'upload') expect(row.source).toBe(job.upload.path);
      } else {
        expect(row.outcome).toBe('failed');
        expect(row.attempts).toBe(1);
        expect(row.reason).toMatch(job.kind === 'upload' ? /maintenance/ : /No disk/);
      }
    }
    expect(report!.totals).toMatchObject({ jobs: 22, completed: 20, failed: 2 });
  });
});
