/**
 * Downloads written as qcow2 (and raw) and checked with qemu: a disk uploaded from a qcow2 fixture
 * comes back as a sparse qcow2 v3 that passes `qemu-img check` and equals the fixture under
 * `qemu-img compare`, with 4 workers writing out of order; an interrupted qcow2 download resumes into
 * the same file and still verifies against the server's checksum.
 */
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiskFerryError } from '../../main/engine/errors.js';
import { TransferControl } from '../../main/engine/transfer/control.js';
import { downloadDisk } from '../../main/engine/transfer/download-disk.js';
import { PartFile } from '../../main/engine/transfer/part-file.js';
import { uploadImage } from '../../main/engine/transfer/upload-image.js';
import { makeQcow2, makeSourceRaw, MiB, qemuCheck, qemuCompare } from '../engine/image/qcow2-fixtures.js';
import { exists, startHarness, TUNING, type Harness } from './helpers.js';

describe.each(['4.5', '4.3'] as const)('qcow2 download from engine %s', (version) => {
  let h: Harness;
  let fixture: string;
  let diskId: string;
  beforeAll(async () => {
    h = await startHarness(version);
    fixture = await makeQcow2(h.dir, 'zero-clusters', await makeSourceRaw(join(h.dir, 'source.raw')));
    diskId = (await uploadImage(h.deps, { path: fixture, storageDomain: 'data-nfs', diskName: 'from-qcow2' }, { tuning: TUNING })).diskId;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('writes a sparse qcow2 that qemu checks and finds identical to the fixture', async () => {
    const result = await downloadDisk(h.deps, { disk: diskId, output: { dir: h.dir }, format: 'qcow2' }, { tuning: { ...TUNING, workers: 4 } });

    expect(result.path).toBe(join(h.dir, 'from-qcow2.qcow2'));
    expect(result.format).toBe('qcow2');
    expect(await qemuCheck(result.path)).toMatch(/No errors were found/);
    await qemuCompare(fixture, result.path);
    expect((await stat(result.path)).blocks * 512).toBeLessThan(result.dataBytes + 2 * MiB);
    expect(await exists(PartFile.partPath(result.path))).toBe(false);
    expect(await exists(PartFile.journalPath(result.path))).toBe(false);
    if (version === '4.5') {
      expect(result.verified).toBe(true);
      expect(result.report).toMatchObject({ direction: 'download', localFormat: 'qcow2', verified: true, checksum: { server: result.digest } });
    } else {
      expect(result.verified).toBeNull();
      expect(result.verification).toBe('not verified: the server cannot compute checksums');
    }
  });

  it('writes raw by default, equal to the fixture', async () => {
    const file = join(h.dir, 'as-raw.img');
    const result = await downloadDisk(h.deps, { disk: diskId, output: { file } }, { tuning: TUNING });
    expect(result.format).toBe('raw');
    await qemuCompare(fixture, file);
    expect(result.verified).toBe(version === '4.5' ? true : null);
  });

  it('resumes an interrupted qcow2 download into the same layout, and it verifies', async () => {
    const file = join(h.dir, 'resumed.qcow2');
    h.sim.faults.bandwidthBytesPerSecond = 2 * MiB;
    const control = new TransferControl();
    let cancelled = false;
    const err = await downloadDisk(h.deps, { disk: diskId, output: { file }, format: 'qcow2' }, {
      control,
      tuning: { ...TUNING, workers: 2 },
      onProgress: (p) => {
        if (p.state === 'transferring' && p.bytesOnWire >= MiB && !cancelled) {
          cancelled = true;
          control.cancel();
        }
      },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    h.sim.faults.bandwidthBytesPerSecond = null;
    expect((err as DiskFerryError).code).toBe('cancelled');
    expect(await exists(PartFile.journalPath(file))).toBe(true);

    const second = await downloadDisk(h.deps, { disk: diskId, output: { file }, format: 'qcow2' }, { tuning: TUNING });
    expect(second.resumedBytes).toBeGreaterThan(0);
    expect(second.bytesOnWire).toBeLessThan(second.dataBytes);
    expect(await qemuCheck(file)).toMatch(/No errors were found/);
    await qemuCompare(fixture, file);
    expect(second.verified).toBe(version === '4.5' ? true : null);
  });
});
