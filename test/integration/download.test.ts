/**
 * Downloads against every engine generation: a seeded disk and a freshly uploaded one come down as
 * sparse raw files equal to the disk, the `.part` file and its journal are gone, and the disk is `ok`
 * again. An interrupted download keeps `.part` + journal and a second run fetches only what is missing.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransferControl } from '../../main/engine/transfer/control.js';
import { downloadDisk } from '../../main/engine/transfer/download-disk.js';
import { PartFile } from '../../main/engine/transfer/part-file.js';
import { uploadImage } from '../../main/engine/transfer/upload-image.js';
import { DiskFerryError } from '../../main/engine/errors.js';
import {
  allocatedBytes,
  expectDiskEqualsFile,
  exists,
  expectFileEqualsDisk,
  expectFileEqualsSeed,
  makeSparseImage,
  MiB,
  seededDiskId,
  SMALL_RUNS,
  SMALL_SIZE,
  startHarness,
  TUNING,
  VERSIONS,
  type Harness,
} from './helpers.js';

const SEEDED = 'web-01-disk1'; // 512 MiB, 12 MiB of data, raw preallocated, its VM is down

describe.each(VERSIONS)('download from engine %s', (version) => {
  let h: Harness;
  let src: string;
  let uploadedId: string;
  beforeAll(async () => {
    h = await startHarness(version);
    src = join(h.dir, 'roundtrip.raw');
    await makeSparseImage(src, SMALL_SIZE, SMALL_RUNS);
    uploadedId = (await uploadImage(h.deps, { path: src, storageDomain: 'data-nfs', diskName: 'roundtrip' }, { tuning: TUNING })).diskId;
    await expectDiskEqualsFile(h.sim, uploadedId, src);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('downloads a seeded disk into a sparse file equal to the disk', async () => {
    const out = join(h.dir, 'seeded');
    await mkdir(out);
    const logged = h.sim.daemon.requestLog.events().length;
    const result = await downloadDisk(h.deps, { disk: SEEDED, output: { dir: out } }, { tuning: TUNING });
    if (h.sim.daemon.personality.checksum) {
      // Verified, with the server's checksum asked for after the last byte: a run that may be paused
      // must not let a finished checksum tell the engine the whole image was read.
      expect(result.verified).toBe(true);
      const order = checksumOrder(logged);
      expect(order.checksumStart).toBeGreaterThan(order.lastGetEnd);
    }

    expect(result.path).toBe(join(out, `${SEEDED}.raw`));
    expect(result.virtualSize).toBe(512 * MiB);
    await expectFileEqualsSeed(SEEDED, result.path);
    expect(await allocatedBytes(result.path)).toBeLessThan(64 * MiB);
    expect(await exists(PartFile.partPath(result.path))).toBe(false);
    expect(await exists(PartFile.journalPath(result.path))).toBe(false);
    expect(h.sim.engine.state.disks.get(seededDiskId(SEEDED))?.status).toBe('ok');
    if (version !== '4.1') expect(result.bytesOnWire).toBeLessThan(32 * MiB);
  });

  it('finds a disk by a name with spaces and quotes in it', async () => {
    const name = 'backup of "web" 01';
    const id = (await uploadImage(h.deps, { path: src, storageDomain: 'data-nfs', diskName: name }, { tuning: TUNING })).diskId;
    const file = join(h.dir, 'by-name.raw');
    const result = await downloadDisk(h.deps, { disk: name, output: { file } }, { tuning: TUNING });
    expect(result.diskId).toBe(id);
    await expectFileEqualsDisk(h.sim, id, file);
  });

  /** Where the checksum started and the last data GET ended among the daemon's events since `logged`. */
  function checksumOrder(logged: number): { checksumStart: number; lastGetEnd: number } {
    const events = h.sim.daemon.requestLog.events().slice(logged);
    const checksumStart = events.findIndex((e) => e.kind === 'checksum' && e.at === 'start');
    expect(checksumStart).toBeGreaterThanOrEqual(0);
    return { checksumStart, lastGetEnd: events.findLastIndex((e) => e.kind === 'data' && e.method === 'GET' && e.at === 'end') };
  }

  // Only imageio 2 (engine 4.5 here) computes checksums.
  it.runIf(version === '4.5')('asks for the checksum while the data moves in a run that is never paused (earlyChecksum)', async () => {
    expect(h.sim.daemon.personality.checksum).toBe(true);
    const out = join(h.dir, 'early');
    await mkdir(out);
    const logged = h.sim.daemon.requestLog.events().length;
    const result = await downloadDisk({ ...h.deps, earlyChecksum: true }, { disk: uploadedId, output: { dir: out } }, { tuning: TUNING });
    expect(result.verified).toBe(true);
    const order = checksumOrder(logged);
    expect(order.checksumStart).toBeLessThan(order.lastGetEnd);
    await expectFileEqualsDisk(h.sim, uploadedId, result.path);
  });

  it('downloads an uploaded disk by id into the given file', async () => {
    const file = join(h.dir, 'roundtrip-down.img');

    const result = await downloadDisk(h.deps, { disk: uploadedId, output: { file } }, { tuning: TUNING });

    expect(result.diskId).toBe(uploadedId);
    expect(result.diskName).toBe('roundtrip');
    expect(result.path).toBe(file);
    await expectFileEqualsDisk(h.sim, uploadedId, file);
    await expectFileEqualsDisk(h.sim, uploadedId, src);
    expect(await allocatedBytes(file)).toBeLessThan(SMALL_SIZE / 2);
    expect(await exists(PartFile.partPath(file))).toBe(false);
    expect(await exists(PartFile.journalPath(file))).toBe(false);
    expect(h.sim.engine.state.disks.get(uploadedId)?.status).toBe('ok');
  });

  it('resumes an interrupted download and fetches only the missing ranges', async () => {
    const file = join(h.dir, 'resumed.raw');
    // Slow the data plane so the cancel lands in the middle of the data.
    h.sim.faults.bandwidthBytesPerSecond = 4 * MiB;
    const control = new TransferControl();
    let cancelledAt = 0;
    const first = downloadDisk(h.deps, { disk: 'roundtrip', output: { file } }, {
      control,
      tuning: { ...TUNING, workers: 1 },
      onProgress: (p) => {
        if (p.state === 'transferring' && p.bytesOnWire >= 2 * MiB && cancelledAt === 0) {
          cancelledAt = p.bytesOnWire;
          control.cancel();
        }
      },
    });
    const err = await first.then(
      () => null,
      (e: unknown) => e,
    );
    h.sim.faults.bandwidthBytesPerSecond = null;
    expect(err).toBeInstanceOf(DiskFerryError);
    expect((err as DiskFerryError).code).toBe('cancelled');
    expect((err as DiskFerryError).message).toContain('.part');
    expect(await exists(file)).toBe(false);
    expect(await exists(PartFile.partPath(file))).toBe(true);
    expect(await exists(PartFile.journalPath(file))).toBe(true);
    // A download is always finalized, never cancelled: the disk is usable again.
    expect(h.sim.engine.state.disks.get(uploadedId)?.status).toBe('ok');

    const second = await downloadDisk(h.deps, { disk: 'roundtrip', output: { file } }, { tuning: TUNING });

    expect(second.resumedBytes).toBeGreaterThan(0);
    expect(second.bytesOnWire + second.resumedBytes).toBeLessThanOrEqual(second.dataBytes);
    expect(second.bytesOnWire).toBeLessThan(second.dataBytes);
    expect(second.resumedBytes).toBeGreaterThanOrEqual(cancelledAt - 4 * MiB);
    await expectFileEqualsDisk(h.sim, uploadedId, file);
    expect(await exists(PartFile.partPath(file))).toBe(false);
    expect(await exists(PartFile.journalPath(file))).toBe(false);
  });
});
