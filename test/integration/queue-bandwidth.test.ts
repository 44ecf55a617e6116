/**
 * The queue's bandwidth limit is one token bucket for every worker of every transfer: with uploads
 * and downloads running together, the bytes on the wire (counted by the data-plane client, not by the
 * limiter) grow at the limit within 10% over the measurement window.
 *
 * The regular suite runs the limit on an injected clock: the bucket and the transfers' progress share
 * a FakeClock that moves in 100 ms steps, each step only once the workers it released have moved their
 * bytes and wait on the bucket again. The rate is then the limit's whatever the machine's load, and
 * ten seconds of limit take as long as the data needs to cross. `npm run test:soak`
 * (DISKFERRY_SOAK=1) also measures the real thing: the same four jobs at 8 MiB/s on the real clock
 * for 30 s.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewJob } from '../../main/engine/queue/job.js';
import { createEngineRunner } from '../../main/engine/queue/engine-runner.js';
import type { TransferQueue } from '../../main/engine/queue/transfer-queue.js';
import { advanceAndSettle, FakeClock } from '../engine/queue/fake-clock.js';
import { expectDiskEqualsFile, expectFileEqualsDisk, makeSparseImage, MiB, startHarness, TUNING, until, type Harness } from './helpers.js';
import { addSimDisk, downloadPath, openSimQueue } from './queue-helpers.js';

const SOAK = process.env['DISKFERRY_SOAK'] === '1';
/** The limit of the real-time measurement. */
const LIMIT = 8 * MiB;
/**
 * The limit on the injected clock: half as much data for the same ten seconds (the data must still
 * cross for real, and the rate on that clock does not depend on how fast it does).
 */
const CLOCK_LIMIT = 4 * MiB;
const WARMUP_MS = 1500;
// Progress moves in 4 MiB pieces, about two a second at 8 MiB/s: over 5 s of real time the staircase
// alone could bend the fitted slope by up to ~10%, the tolerance itself; over 10 s it is half that. On
// the injected clock progress is read only when every worker waits, so the slope is within about 1 %.
const WINDOW_MS = 10_000;
const SOAK_WINDOW_MS = 30_000;
/**
 * Data per job: four jobs together outlast warm-up and window by a margin. A third, not a quarter, of
 * the total each: the bucket serves reservations in turn, and a download reserves bigger pieces than
 * an upload, so downloads get the bigger share.
 */
const dataPerJob = (limit: number, windowMs: number) => Math.ceil((limit * (WARMUP_MS + windowMs + 3000)) / 1000 / 3 / MiB) * MiB;
/** The step of the injected clock. */
const STEP_MS = 100;

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

/** Two uploads and two downloads of `perJob` data each, with what their bytes are compared against. */
interface BandwidthJobs {
  readonly jobs: readonly NewJob[];
  readonly files: readonly string[];
  readonly disks: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  readonly out: string;
}

async function makeJobs(h: Harness, tag: string, perJob: number): Promise<BandwidthJobs> {
  const out = join(h.dir, `out-${tag}`);
  await mkdir(out);
  const jobs: NewJob[] = [];
  const files: string[] = [];
  const disks: Array<{ id: string; name: string }> = [];
  const half = perJob / 2;
  for (let i = 0; i < 2; i++) {
    const file = join(h.dir, `bw-${tag}-${i}.raw`);
    await makeSparseImage(file, 2 * perJob, [
      { start: 0, length: half },
      { start: perJob, length: half },
    ]);
    files.push(file);
    jobs.push({ kind: 'upload', engine: 'sim', upload: { path: file, storageDomain: 'data-nfs' } });
    const name = `bw-dl-${tag}-${i}`;
    const id = await addSimDisk(h.sim, name, 2 * perJob, [
      { start: MiB, length: half },
      { start: perJob + MiB, length: half },
    ]);
    disks.push({ id, name });
    jobs.push({ kind: 'download', engine: 'sim', download: { disk: id, diskName: name, outputDir: out, size: 2 * perJob } });
  }
  return { jobs, files, disks, out };
}

/** The fitted rate of the window's samples is the limit within 10%, and so, within 20%, is the plain average. */
function expectLimitHeld(limit: number, samples: ReadonlyArray<readonly [number, number]>, windowMs: number, sampleMs: number): void {
  expect(samples.length).toBeGreaterThan((windowMs / sampleMs) * 0.8);
  const rate = slope(samples);
  expect(rate, `measured ${(rate / MiB).toFixed(2)} MiB/s`).toBeGreaterThan(limit * 0.9);
  expect(rate, `measured ${(rate / MiB).toFixed(2)} MiB/s`).toBeLessThan(limit * 1.1);
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const plain = ((last[1] - first[1]) / (last[0] - first[0])) * 1000;
  // Bytes are counted in 4 MiB pieces, so the plain two-point average is coarser; it must still be close.
  expect(Math.abs(plain - limit) / limit).toBeLessThan(0.2);
}

async function expectBytesRight(h: Harness, q: TransferQueue, b: BandwidthJobs): Promise<void> {
  for (const file of b.files) await expectDiskEqualsFile(h.sim, q.list().find((j) => j.kind === 'upload' && j.upload.path === file)!.result!.diskId, file);
  for (const d of b.disks) await expectFileEqualsDisk(h.sim, d.id, downloadPath(b.out, d.name));
}

describe('transfer queue: bandwidth limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('4.5');
  });
  afterAll(async () => {
    await h?.close();
  });

  it(`holds ${CLOCK_LIMIT / MiB} MiB/s within 10% over ${WINDOW_MS / 1000} s of an injected clock, shared by uploads and downloads`, async () => {
    const b = await makeJobs(h, 'clock', dataPerJob(CLOCK_LIMIT, WINDOW_MS));
    // The bucket's sleeps and the transfers' progress run on the injected clock; everything else
    // (the engine client, the queue's own timers) on the real one.
    const clock = new FakeClock(Date.parse('2024-01-01T00:00:00Z'));
    const runner = createEngineRunner({ connect: () => Promise.resolve({ ...h.deps, now: clock.now }), tuning: { ...TUNING, workers: 2 } });
    const { q } = await openSimQueue(h, { limits: { concurrency: 4, perEngine: null, perStorageDomain: null }, bandwidth: CLOCK_LIMIT }, { runner, bandwidthClock: clock });
    const added = await q.add(b.jobs);
    // One step of the clock, taken once the workers it released wait on the bucket again. Should one
    // come late, no bandwidth is lost: the others' reservations keep the bucket in debt, so the late
    // one is paced from where the bucket stands, and its bytes are counted a step later.
    const step = () => advanceAndSettle(clock, STEP_MS, () => onWire(q));
    q.start();
    // Time stands still until every job moves data: each first reservation waits on the bucket.
    await until(() => q.list().every((j) => j.state === 'transferring') && clock.armed >= added.length, 30_000, 'every job waiting on the bucket');
    const t0 = clock.now();
    while (clock.now() - t0 < WARMUP_MS) await step();
    const atStart = q.list().map((j) => j.progress.bytesOnWire);
    const samples: Array<[number, number]> = [[clock.now() - t0, onWire(q)]];
    while (clock.now() - t0 < WARMUP_MS + WINDOW_MS) {
      await step();
      samples.push([clock.now() - t0, onWire(q)]);
    }
    // Jobs were still moving data at the end of the window: the rate is the limit's, not the jobs'
    // running out. And each of the four moved data in it: one limit shared by all.
    expect(q.list().filter((j) => j.state === 'transferring').length).toBeGreaterThan(0);
    q.list().forEach((j, i) => expect(j.progress.bytesOnWire, `${j.kind} ${i}`).toBeGreaterThan(atStart[i]!));
    expectLimitHeld(CLOCK_LIMIT, samples, WINDOW_MS, STEP_MS);

    // Lifted: the reservations already made fall due, and the rest runs unpaced.
    q.updateSettings({ bandwidth: null });
    await clock.advance(60_000);
    const report = await q.whenIdle();
    await q.close();
    expect(report!.totals.completed).toBe(4);
    await expectBytesRight(h, q, b);
  });

  it.runIf(SOAK)(`holds ${LIMIT / MiB} MiB/s within 10% over ${SOAK_WINDOW_MS / 1000} s of real time, shared by uploads and downloads`, { timeout: SOAK_WINDOW_MS + 60_000 }, async () => {
    const b = await makeJobs(h, 'real', dataPerJob(LIMIT, SOAK_WINDOW_MS));
    const { q } = await openSimQueue(h, { limits: { concurrency: 4, perEngine: null, perStorageDomain: null }, bandwidth: LIMIT });
    await q.add(b.jobs);
    const samples: Array<[number, number]> = [];
    const t0 = Date.now();
    q.start();
    const timer = setInterval(() => {
      const t = Date.now() - t0;
      if (t >= WARMUP_MS && t <= WARMUP_MS + SOAK_WINDOW_MS) samples.push([t, onWire(q)]);
    }, 100);
    const report = await q.whenIdle();
    clearInterval(timer);
    await q.close();

    expect(report!.totals.completed).toBe(4);
    // Every job was still moving data at the end of the window: the rate is the limit's, not the jobs' running out.
    expect(Math.max(...report!.rows.map((r) => r.finishedAt! - t0))).toBeGreaterThan(WARMUP_MS + SOAK_WINDOW_MS);
    expectLimitHeld(LIMIT, samples, SOAK_WINDOW_MS, 100);
    await expectBytesRight(h, q, b);
  });
});
