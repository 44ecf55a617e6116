/**
 * The queue's bandwidth limit is one token bucket for every worker of every transfer: with uploads
 * and downloads running together, the bytes on the wire (counted by the data-plane client, not by the
 * limiter) grow at the limit within 10% over the measurement window. The regular suite measures 5 s;
 * `npm run test:soak` (DISKFERRY_SOAK=1) measures 30 s.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewJob } from '../../main/engine/queue/job.js';
import type { TransferQueue } from '../../main/engine/queue/transfer-queue.js';
import { expectDiskEqualsFile, expectFileEqualsDisk, makeSparseImage, MiB, startHarness, type Harness } from './helpers.js';
import { addSimDisk, downloadPath, openSimQueue } from './queue-helpers.js';

const SOAK = process.env['DISKFERRY_SOAK'] === '1';
const LIMIT = 8 * MiB;
const WARMUP_MS = 1500;
// Progress moves in 4 MiB pieces, about two a second at the limit: over 5 s the staircase alone could
// bend the fitted slope by up to ~10%, the tolerance itself; over 10 s it is half that.
const WINDOW_MS = SOAK ? 30_000 : 10_000;
/** Data per job: four jobs together outlast warm-up and window by a margin. */
const DATA_PER_JOB = Math.ceil(((LIMIT * (WARMUP_MS + WINDOW_MS + 3000)) / 1000 / 4 / MiB)) * MiB;

/** Bytes on the wire of all jobs so far. */
function onWire(q: TransferQueue): number {
  return q.list().reduce((sum, j) => sum + j.progress.bytesOnWire, 0);
}

/** Least-squares slope of (t ms, bytes) samples, in bytes per second. */
function slope(samples: ReadonlyArray<readonly [number, number]>): number {
  const n = samples.length;
  const mt = samples.reduce((s, [t]) => s + t, 0) / n;
  const mb = samples.reduce((s, [, b]) => s + b, 0) / n;
  const num = samples.reduce((s, [t, b]) => s + (t - mt) * (b - mb), 0);
  const den = samples.reduce((s, [t]) => s + (t - mt) ** 2, 0);
  return (num / den) * 1000;
}

describe('transfer queue: bandwidth limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('4.5');
  });
  afterAll(async () => {
    await h?.close();
  });

  it(`holds ${LIMIT / MiB} MiB/s within 10% over ${WINDOW_MS / 1000} s, shared by uploads and downloads`, { timeout: WINDOW_MS + 60_000 }, async () => {
    const out = join(h.dir, 'out');
    await mkdir(out);
    const jobs: NewJob[] = [];
    const files: string[] = [];
    const disks: Array<{ id: string; name: string }> = [];
    const half = DATA_PER_JOB / 2;
    for (let i = 0; i < 2; i++) {
      const file = join(h.dir, `bw-${i}.raw`);
      await makeSparseImage(file, 2 * DATA_PER_JOB, [
        { start: 0, length: half },
        { start: DATA_PER_JOB, length: half },
      ]);
      files.push(file);
      jobs.push({ kind: 'upload', engine: 'sim', upload: { path: file, storageDomain: 'data-nfs' } });
      const name = `bw-dl-${i}`;
      const id = await addSimDisk(h.sim, name, 2 * DATA_PER_JOB, [
        { start: MiB, length: half },
        { start: DATA_PER_JOB + MiB, length: half },
      ]);
      disks.push({ id, name });
      jobs.push({ kind: 'download', engine: 'sim', download: { disk: id, diskName: name, outputDir: out, size: 2 * DATA_PER_JOB } });
    }
    const { q } = await openSimQueue(h, { limits: { concurrency: 4, perEngine: null, perStorageDomain: null }, bandwidth: LIMIT });
    await q.add(jobs);
    const samples: Array<[number, number]> = [];
    const t0 = Date.now();
    q.start();
    const timer = setInterval(() => {
      const t = Date.now() - t0;
      if (t >= WARMUP_MS && t <= WARMUP_MS + WINDOW_MS) samples.push([t, onWire(q)]);
    }, 100);
    const report = await q.whenIdle();
    clearInterval(timer);
    await q.close();

    expect(report!.totals.completed).toBe(4);
    // Every job was still moving data at the end of the window: the rate is the limit's, not the jobs' running out.
    expect(Math.max(...report!.rows.map((r) => r.finishedAt! - t0))).toBeGreaterThan(WARMUP_MS + WINDOW_MS);
    expect(samples.length).toBeGreaterThan((WINDOW_MS / 100) * 0.8);
    const rate = slope(samples);
    expect(rate, `measured ${(rate / MiB).toFixed(2)} MiB/s`).toBeGreaterThan(LIMIT * 0.9);
    expect(rate, `measured ${(rate / MiB).toFixed(2)} MiB/s`).toBeLessThan(LIMIT * 1.1);
    const first = samples[0]!;
    const last = samples.at(-1)!;
    const plain = ((last[1] - first[1]) / (last[0] - first[0])) * 1000;
    // Bytes are counted in 4 MiB pieces, so the plain two-point average is coarser; it must still be close.
    expect(Math.abs(plain - LIMIT) / LIMIT).toBeLessThan(0.2);

    for (const file of files) await expectDiskEqualsFile(h.sim, q.list().find((j) => j.kind === 'upload' && j.upload.path === file)!.result!.diskId, file);
    for (const d of disks) await expectFileEqualsDisk(h.sim, d.id, downloadPath(out, d.name));
  });
});
