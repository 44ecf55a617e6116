/**
 * A download that runs out of local space in the middle of the data (ENOSPC: another program fills
 * the disk after DiskFerry's free-space check passed), through the engine, the
 * `diskferry download` command and the queue: it stops with `disk-full` and a message that says to
 * free space and resume, its engine transfer is closed (the disk is not left locked), only NAME.part
 * and its journal are on disk, every journaled byte is right, and once space is freed the same
 * download finishes from the journal, byte for byte, fetching only what was missing.
 *
 * The file system really fills up: a small tmpfs when this process may mount one, else the injected
 * FilePort of full-disk.ts, whose failing writes get their ENOSPC from the kernel (/dev/full).
 */
import { readdir, open } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../main/cli/index.js';
import { DiskFerryError } from '../../main/engine/errors.js';
import { createEngineRunner } from '../../main/engine/queue/engine-runner.js';
import { downloadDisk } from '../../main/engine/transfer/download-disk.js';
import { PartFile } from '../../main/engine/transfer/part-file.js';
import type { TransferDeps } from '../../main/engine/transfer/deps.js';
import { allocatedBytes, exists, expectFileEqualsDisk, MiB, startHarness, TUNING, type DataRun, type Harness } from '../integration/helpers.js';
import { CliHarness } from '../integration/queue-cli-helpers.js';
import { addSimDisk, downloadPath, openSimQueue } from '../integration/queue-helpers.js';
import { expectEngineClean, journaledData, journaledRanges } from './engine-checks.js';
import { FREE_SPACE_MARGIN } from '../../main/engine/fs/free-space.js';
import { makeSmallDisk, type SmallDisk } from './full-disk.js';
import { capture, CLI_PORTS } from '../integration/capture.js';

/** 24 MiB of data in a 64 MiB disk, on a file system with room for it (and the free-space margin). */
const SIZE = 64 * MiB;
const RUNS: readonly DataRun[] = [
  { start: MiB, length: 12 * MiB },
  { start: 32 * MiB, length: 12 * MiB },
];
const DATA = RUNS.reduce((s, r) => s + r.length, 0);
const ROOM = DATA + FREE_SPACE_MARGIN + 24 * MiB;
/** The disk fills up once this much of the download is on it. */
const FILL_AT = 4 * MiB;
/** Two workers with 4 MiB pieces: at most a piece per worker can be half written when space runs out. */
const WORKERS = 2;
const PIECE = 4 * MiB;

/** The one-line message of a full disk, with the engine told. */
const FULL_MESSAGE = /The local disk is full\. Free some space, then resume the transfer\. The partial file .*\.part was kept; run the same download again to continue where it stopped\. The transfer on the engine was closed: disk '[^']+' is not locked\./;

/**
 * Fills the disk once `FILL_AT` bytes of the download are on it (polling the partial file, the way
 * any other program would notice); `stop()` ends the watch when the download ended first.
 */
function fillWhenWritten(disk: SmallDisk, finalPath: string): { filled: Promise<boolean>; stop: () => void } {
  let stopped = false;
  const filled = (async () => {
    const part = PartFile.partPath(finalPath);
    while (!stopped) {
      if ((await exists(part)) && (await allocatedBytes(part)) >= FILL_AT) {
        await disk.fill();
        return true;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    return false;
  })();
  return { filled, stop: () => (stopped = true) };
}

/** Asserts that every byte the journal claims is in the partial file as on the disk. */
async function expectJournaledBytesRight(h: Harness, diskId: string, finalPath: string): Promise<void> {
  const image = h.sim.images.get(diskId)!;
  const fh = await open(PartFile.partPath(finalPath), 'r');
  try {
    for (const r of (await journaledRanges(finalPath)).toArray()) {
      for (let off = r.start; off < r.end; off += 4 * MiB) {
        const len = Math.min(4 * MiB, r.end - off);
        const got = Buffer.alloc(len);
        await fh.read(got, 0, len, off);
        if (!got.equals(await image.read(off, len))) expect.fail(`journaled bytes [${off}, ${off + len}) of ${finalPath}.part differ from the disk`);
      }
    }
  } finally {
    await fh.close();
  }
}

/** What a full disk left: the state every entry point must leave behind. */
async function expectStoppedCleanly(h: Harness, diskId: string, disk: SmallDisk, file: string): Promise<number> {
  expect((await readdir(disk.dir)).sort()).toEqual([`${file.split('/').pop()}.part`, `${file.split('/').pop()}.part.journal`]);
  expect(h.sim.engine.state.disks.get(diskId)!.status).toBe('ok');
  await expectEngineClean(h.sim);
  await expectJournaledBytesRight(h, diskId, file);
  const journaled = await journaledData(file, RUNS);
  // Nothing written is lost: what the partial file holds is journaled, but for the pieces in flight.
  expect(journaled).toBeGreaterThan(0);
  expect(journaled).toBeLessThan(DATA);
  expect(journaled).toBeGreaterThanOrEqual((await allocatedBytes(PartFile.partPath(file))) - WORKERS * PIECE);
  return journaled;
}

describe('disk full while downloading', () => {
  let h: Harness;
  let disk: SmallDisk;
  let deps: TransferDeps;
  beforeAll(async () => {
    h = await startHarness('4.5');
  });
  afterEach(async () => {
    h.resetFaults();
    await disk?.close();
  });
  afterAll(async () => {
    await h?.close();
  });

  const setUp = async (name: string) => {
    disk = await makeSmallDisk(ROOM);
    // Slow enough (per connection) that the disk fills up while the data still flows.
    h.sim.faults.bandwidthBytesPerSecond = 4 * MiB;
    deps = disk.files ? { ...h.deps, files: disk.files } : h.deps;
    const diskId = await addSimDisk(h.sim, name, SIZE, RUNS);
    return { diskId, file: downloadPath(disk.dir, name) };
  };

  it('stops with disk-full, unlocks the disk, keeps .part + journal, and resumes after space is freed (engine)', { timeout: 60_000 }, async () => {
    const { diskId, file } = await setUp('full-engine');
    const tuning = { ...TUNING, workers: WORKERS };
    const watch = fillWhenWritten(disk, file);
    const err = await downloadDisk(deps, { disk: diskId, output: { dir: disk.dir } }, { tuning }).then(
      () => null,
      (e: unknown) => e,
    );
    watch.stop();
    expect(await watch.filled, 'the disk filled up mid-download').toBe(true);
    expect(err).toBeInstanceOf(DiskFerryError);
    expect((err as DiskFerryError).code).toBe('disk-full');
    expect((err as DiskFerryError).retryable).toBe(false);
    expect((err as DiskFerryError).message).toMatch(FULL_MESSAGE);
    const journaled = await expectStoppedCleanly(h, diskId, disk, file);

    await disk.free();
    h.sim.faults.bandwidthBytesPerSecond = null;
    const r = await downloadDisk(deps, { disk: diskId, output: { dir: disk.dir } }, { tuning });
    expect(r.resumedBytes).toBe(journaled);
    expect(r.bytesOnWire).toBe(DATA - journaled); // only what was missing crossed the network again
    await expectFileEqualsDisk(h.sim, diskId, file);
    expect(await readdir(disk.dir)).toEqual(['full-engine.raw']);
    await expectEngineClean(h.sim);
  });

  it('diskferry download: exit code 1 and one line that says to free space; the same command then finishes', { timeout: 60_000 }, async () => {
    const c = new CliHarness(h);
    await c.setUp();
    try {
      const { diskId, file } = await setUp('full-cli');
      const ports = disk.files ? { ...CLI_PORTS, files: disk.files } : CLI_PORTS;
      const download = async () => {
        const stdout = capture();
        const stderr = capture();
        const code = await main(['download', diskId, '--output', disk.dir, '--workers', String(WORKERS), '--password-file', c.pw, '--quiet'], { stdout, stderr }, ports);
        return { code, out: stdout.text(), err: stderr.text() };
      };
      const watch = fillWhenWritten(disk, file);
      const failed = await download();
      watch.stop();
      expect(await watch.filled, 'the disk filled up mid-download').toBe(true);
      expect(failed.code).toBe(1);
      const lines = failed.err.trim().split('\n');
      expect(lines, failed.err).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^diskferry: ${FULL_MESSAGE.source}$`));
      const journaled = await expectStoppedCleanly(h, diskId, disk, file);

      await disk.free();
      h.sim.faults.bandwidthBytesPerSecond = null;
      const done = await download();
      expect(done.code, done.err).toBe(0);
      expect(done.out).toMatch(/kept from an earlier run/);
      await expectFileEqualsDisk(h.sim, diskId, file);
      expect(journaled).toBeGreaterThan(0);
      await expectEngineClean(h.sim);
    } finally {
      c.tearDown();
    }
  });

  it('the queue fails the job once with its reason (no retry loop), and a retry after freeing space completes it', { timeout: 60_000 }, async () => {
    const { diskId, file } = await setUp('full-queue');
    const runner = createEngineRunner({ connect: () => Promise.resolve(deps), tuning: { ...TUNING, workers: WORKERS } });
    const { q, events } = await openSimQueue(h, { retry: { maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 100 } }, { runner });
    try {
      const [job] = await q.add([{ kind: 'download', engine: 'sim', start: 'now', download: { disk: diskId, diskName: 'full-queue', outputDir: disk.dir, size: SIZE } }]);
      const watch = fillWhenWritten(disk, file);
      q.start();
      await q.whenIdle();
      watch.stop();
      expect(await watch.filled, 'the disk filled up mid-download').toBe(true);
      const failed = q.get(job!.id);
      expect(failed.state).toBe('failed');
      expect(failed.attempts).toBe(1);
      expect(failed.error?.code).toBe('disk-full');
      expect(failed.error?.message).toMatch(FULL_MESSAGE);
      expect(events.some((e) => e.type === 'state' && e.job.state === 'retrying')).toBe(false);
      const journaled = await expectStoppedCleanly(h, diskId, disk, file);

      await disk.free();
      h.sim.faults.bandwidthBytesPerSecond = null;
      q.retry(job!.id);
      await q.whenIdle();
      const done = q.get(job!.id);
      expect(done.state, JSON.stringify(done.error)).toBe('completed');
      expect(done.result!.resumedBytes).toBe(journaled);
      expect(done.result!.bytesOnWire).toBe(DATA - journaled);
      await expectFileEqualsDisk(h.sim, diskId, file);
      await expectEngineClean(h.sim);
    } finally {
      await q.close();
    }
  });
});
