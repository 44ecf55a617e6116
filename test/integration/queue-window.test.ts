/**
 * The schedule window with a fake clock driving the queue while real transfers run against the
 * simulator: nothing starts before 22:00, an upload is paused on the engine at 06:00 and a download
 * stopped (journal kept, disk unlocked), and both finish with correct bytes in the next night.
 *
 * The data moves under the queue's bandwidth limit, on a second fake clock that moves only when the
 * test moves it: the jobs are surely mid-transfer when the window closes, however fast or busy the
 * machine. (Paced by the simulator on the real clock, a busy machine's walk through eight hours of
 * the queue's timers could outlast the download.)
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWindow, utcCalendar } from '../../main/engine/queue/schedule.js';
import { advanceAndSettle, FakeClock } from '../engine/queue/fake-clock.js';
import { createEngineRunner } from '../../main/engine/queue/engine-runner.js';
import { expectDiskEqualsFile, expectFileEqualsDisk, exists, makeSparseImage, MiB, startHarness, transferPhasesOf, TUNING, until, type Harness } from './helpers.js';
import { addSimDisk, downloadPath, openSimQueue } from './queue-helpers.js';
import { PartFile } from '../../main/engine/transfer/part-file.js';

const HOUR = 3600_000;

describe('transfer queue: schedule window', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('4.5');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('waits for the window, holds running jobs at its end and finishes them in the next one', async () => {
    const out = join(h.dir, 'out');
    await mkdir(out);
    const file = join(h.dir, 'night.raw');
    // The upload has twice the data, so it is surely still sending when the download has its first piece.
    await makeSparseImage(file, 32 * MiB, [
      { start: 0, length: 12 * MiB },
      { start: 16 * MiB, length: 12 * MiB },
    ]);
    const diskId = await addSimDisk(h.sim, 'night-dl', 16 * MiB, [
      { start: MiB, length: 6 * MiB },
      { start: 9 * MiB, length: 6 * MiB },
    ]);
    // Monday 21:59 UTC on the queue's clock. The bandwidth limit's clock, which the transfers' progress
    // also reads (so it is reported step by step), stands still until moved.
    const clock = new FakeClock(Date.parse('2024-01-01T21:59:00Z'));
    const bandwidth = new FakeClock(0);
    const runner = createEngineRunner({ connect: () => Promise.resolve({ ...h.deps, now: bandwidth.now }), tuning: { ...TUNING, workers: 2 } });
    const { q } = await openSimQueue(
      h,
      { windows: [parseWindow('22:00-06:00')], bandwidth: 4 * MiB },
      { runner, now: clock.now, timers: clock.timers, calendar: utcCalendar, bandwidthClock: bandwidth },
    );
    const onWire = () => q.list().reduce((sum, j) => sum + j.progress.bytesOnWire, 0);
    /** Lets data through a quarter of a second (1 MiB) at a time until `moved` holds. */
    const moveUntil = async (moved: () => boolean, what: string) => {
      const deadline = Date.now() + 15_000;
      while (!moved()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await advanceAndSettle(bandwidth, 250, onWire);
      }
    };
    const [up, dl] = await q.add([
      { kind: 'upload', engine: 'sim', upload: { path: file, storageDomain: 'data-nfs' } },
      { kind: 'download', engine: 'sim', download: { disk: diskId, diskName: 'night-dl', outputDir: out, size: 16 * MiB } },
    ]);
    q.start();
    await clock.advance(0);
    expect(q.list().map((j) => j.state)).toEqual(['waiting', 'waiting']);
    expect(h.sim.engine.state.transfers.size).toBe(0);

    await clock.advance(60_000); // 22:00
    // A download reports (and journals) each 4 MiB piece it wrote. The limit's clock then stands
    // still: both jobs wait on it, mid-transfer, until the window closes.
    await moveUntil(() => q.get(up!.id).progress.bytesOnWire >= MiB && q.get(dl!.id).progress.bytesOnWire >= 4 * MiB, 'both jobs moving data');

    await clock.advance(8 * HOUR); // 06:00
    expect(q.get(up!.id).state).toBe('waiting');
    expect(q.get(dl!.id).state).toBe('waiting');
    const upDisk = () => q.get(up!.id).diskId!;
    await until(() => transferPhasesOf(h.sim, upDisk()).includes('paused_user'), 10_000, 'the upload paused on the engine');
    // The download's transfer is finalized (the disk is unlocked all day); its partial file stays.
    await until(() => transferPhasesOf(h.sim, diskId).every((p) => p === 'finished_success') && h.sim.engine.state.disks.get(diskId)!.status === 'ok', 10_000, 'the download stopped');
    expect(await exists(PartFile.journalPath(downloadPath(out, 'night-dl')))).toBe(true);
    const held = { up: q.get(up!.id).progress.bytesOnWire, dl: q.get(dl!.id).progress.bytesOnWire };
    // A minute of allowance: a job still running would use it.
    await bandwidth.advance(60_000);
    await new Promise((r) => setTimeout(r, 700));
    expect(q.get(up!.id).progress.bytesOnWire).toBe(held.up);
    expect(q.get(dl!.id).attempts).toBe(1);

    q.updateSettings({ bandwidth: null });
    await clock.advance(16 * HOUR); // 22:00, Tuesday
    expect(q.get(up!.id).state).not.toBe('waiting');
    await until(() => q.list().every((j) => j.state === 'completed' || j.state === 'failed'), 20_000, 'both jobs finished');
    expect(q.list().map((j) => j.state)).toEqual(['completed', 'completed']);
    await expectDiskEqualsFile(h.sim, upDisk(), file);
    await expectFileEqualsDisk(h.sim, diskId, downloadPath(out, 'night-dl'));
    // The download continued from its journal: the bytes of the first night were not fetched again.
    expect(q.get(dl!.id).result!.resumedBytes).toBeGreaterThanOrEqual(4 * MiB);
    expect(q.get(dl!.id).result!.bytesOnWire).toBe(q.get(dl!.id).result!.dataBytes - q.get(dl!.id).result!.resumedBytes);
    // The upload kept its disk and transfer: one disk, paused and resumed, not created twice.
    expect([...h.sim.engine.state.disks.values()].filter((d) => d.name === 'night')).toHaveLength(1);
    await q.close();
  });
});
