/**
 * Uploads against every engine generation: a sparse raw image with data runs and holes, and an ISO
 * into a preallocated raw disk. The disk ends `ok` and its guest bytes equal the source.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadImage } from '../../main/engine/transfer/upload-image.js';
import type { TransferProgress } from '../../shared/model.js';
import { expectDiskEqualsFile, makeIso, makeSparseImage, MiB, SMALL_RUNS, SMALL_SIZE, startHarness, TUNING, VERSIONS, type Harness } from './helpers.js';

describe.each(VERSIONS)('upload to engine %s', (version) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(version);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('uploads a sparse raw image: the disk is ok and holds the same bytes', async () => {
    const path = join(h.dir, 'sparse.raw');
    await makeSparseImage(path, SMALL_SIZE, SMALL_RUNS);
    const states: string[] = [];
    const result = await uploadImage(
      h.deps,
      { path, storageDomain: 'data-nfs', diskName: `sparse-${version}` },
      { tuning: TUNING, onProgress: (p: TransferProgress) => states.push(p.state) },
    );

    const disk = h.sim.engine.state.disks.get(result.diskId);
    expect(disk?.status).toBe('ok');
    expect(disk?.name).toBe(`sparse-${version}`);
    expect(disk?.format).toBe('raw');
    expect(disk?.sparse).toBe(true);
    expect(result.virtualSize).toBe(SMALL_SIZE);
    await expectDiskEqualsFile(h.sim, result.diskId, path);
    expect(states.at(-1)).toBe('completed');
    if (version === '4.1') {
      // FILE backend through the legacy proxy with the signed ticket: every byte goes over the wire.
      expect(result.viaProxy).toBe(true);
      expect(result.bytesOnWire).toBe(SMALL_SIZE);
    } else {
      // NBD backend with extents: only the data crosses the network; holes are skipped.
      expect(result.viaProxy).toBe(false);
      expect(result.bytesOnWire).toBeLessThan(SMALL_SIZE / 2);
    }
  });

  it('uploads a sparse raw image to block storage as a preallocated raw disk', async () => {
    const path = join(h.dir, 'to-block.raw');
    await makeSparseImage(path, SMALL_SIZE, SMALL_RUNS);
    const result = await uploadImage(h.deps, { path, storageDomain: 'data-iscsi', diskName: `block-${version}` }, { tuning: TUNING });

    const disk = h.sim.engine.state.disks.get(result.diskId);
    expect(disk?.status).toBe('ok');
    expect(disk?.format).toBe('raw');
    expect(disk?.sparse).toBe(false); // raw disks on block storage are always preallocated
    expect(h.logLines.some((l) => l.includes('data-iscsi is block storage'))).toBe(true);
    await expectDiskEqualsFile(h.sim, result.diskId, path);
  });

  it('uploads an ISO into a preallocated raw disk with content type iso', async () => {
    const path = join(h.dir, 'install.iso');
    await makeIso(path, 8 * MiB);
    const result = await uploadImage(h.deps, { path, storageDomain: 'data-nfs' }, { tuning: TUNING });

    const disk = h.sim.engine.state.disks.get(result.diskId);
    expect(disk?.status).toBe('ok');
    expect(disk?.name).toBe('install');
    expect(disk?.format).toBe('raw');
    expect(disk?.sparse).toBe(false);
    // content_type exists from 4.2.1; the 4.1 engine does not know it and keeps `data`.
    expect(disk?.contentType).toBe(version === '4.1' ? 'data' : 'iso');
    await expectDiskEqualsFile(h.sim, result.diskId, path);
  });
});
