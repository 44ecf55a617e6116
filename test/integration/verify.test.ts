/**
 * End-to-end verification against the simulator's /checksum: a transfer whose data on the server
 * differs from what was sent or received fails with both digests. An upload is cancelled before
 * finalize, so the engine deletes the disk; a download keeps its `.part` without a journal, so the
 * next run starts over. Verification can be turned off.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../main/engine/errors.js';
import { downloadDisk } from '../../main/engine/transfer/download-disk.js';
import { PartFile } from '../../main/engine/transfer/part-file.js';
import { uploadImage } from '../../main/engine/transfer/upload-image.js';
import type { SimImage } from '../../main/simulator/image-store.js';
import { exists, expectFileEqualsDisk, makeSparseImage, MiB, SMALL_RUNS, SMALL_SIZE, startHarness, TUNING, until, type Harness } from './helpers.js';

/** A zero range of the SMALL_RUNS image: never sent on upload, never fetched on download. */
const HOLE = 20 * MiB;

async function failure(p: Promise<unknown>): Promise<DiskFerryError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DiskFerryError);
  return err as DiskFerryError;
}

describe('transfer verification (engine 4.5)', () => {
  let h: Harness;
  let src: string;
  beforeAll(async () => {
    h = await startHarness('4.5');
    src = join(h.dir, 'source.raw');
    await makeSparseImage(src, SMALL_SIZE, SMALL_RUNS);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** The simulator's volume of the disk the transfer in flight writes or reads. */
  const liveImage = (): SimImage | undefined => {
    const t = [...h.sim.engine.state.transfers.values()].find((x) => x.phase === 'transferring');
    return t ? h.sim.images.get(t.diskId) : undefined;
  };

  it('fails an upload whose disk does not hold what was sent, and the engine deletes the disk', async () => {
    let corrupted: string | null = null;
    const err = await failure(
      uploadImage(h.deps, { path: src, storageDomain: 'data-nfs', diskName: 'tampered' }, {
        tuning: TUNING,
        onProgress: (p) => {
          const image = liveImage();
          if (p.state === 'transferring' && image && corrupted === null) {
            corrupted = [...h.sim.engine.state.transfers.values()].find((x) => x.phase === 'transferring')!.diskId;
            void image.write(HOLE, Buffer.alloc(4096, 0xee));
          }
        },
      }),
    );
    expect(corrupted).not.toBeNull();
    expect(err.code).toBe('verification-failed');
    expect(err.message).toMatch(/did not verify: the server's checksum \(blake2b, 4 MiB blocks\) is [0-9a-f]{64}, but the local image source\.raw's is [0-9a-f]{64}\./);
    expect(err.message).toMatch(/The engine deleted the disk 'tampered'\./);
    await until(() => !h.sim.engine.state.disks.has(corrupted!), 10_000, 'the disk to be deleted');
  });

  it('fails a download whose data changed on the server, keeps .part and drops the journal; the next run starts over', async () => {
    const up = await uploadImage(h.deps, { path: src, storageDomain: 'data-nfs', diskName: 'changing' }, { tuning: TUNING });
    const file = join(h.dir, 'changing.raw');
    let tampered = false;
    const err = await failure(
      downloadDisk(h.deps, { disk: up.diskId, output: { file } }, {
        tuning: TUNING,
        onProgress: (p) => {
          // After the extents were read: the hole is not fetched, so the local copy keeps zeros there.
          if (p.state === 'transferring' && !tampered) {
            tampered = true;
            void h.sim.images.get(up.diskId)!.write(HOLE, Buffer.alloc(4096, 0xee));
          }
        },
      }),
    );
    expect(err.code).toBe('verification-failed');
    expect(err.message).toMatch(/server's checksum .* is [0-9a-f]{64}, but the downloaded file's is [0-9a-f]{64}\. The file was kept as .*changing\.raw\.part, but it is not a good copy/);
    expect(err.message).not.toMatch(/continue where it stopped/);
    expect(await exists(file)).toBe(false);
    expect(await exists(PartFile.partPath(file))).toBe(true);
    expect(await exists(PartFile.journalPath(file))).toBe(false);
    expect(h.sim.engine.state.disks.get(up.diskId)?.status).toBe('ok');

    const again = await downloadDisk(h.deps, { disk: up.diskId, output: { file } }, { tuning: TUNING });
    expect(again.resumedBytes).toBe(0);
    expect(again.verified).toBe(true);
    await expectFileEqualsDisk(h.sim, up.diskId, file);
  });

  it('can be turned off: no digest, and the result says so', async () => {
    const up = await uploadImage(h.deps, { path: src, storageDomain: 'data-nfs', diskName: 'unverified', verify: false }, { tuning: TUNING });
    expect(up).toMatchObject({ digest: null, verified: null, verification: 'not verified: verification was turned off' });
    const down = await downloadDisk(h.deps, { disk: up.diskId, output: { file: join(h.dir, 'unverified.raw') }, verify: false }, { tuning: TUNING });
    expect(down).toMatchObject({ digest: null, verified: null });
    expect(down.report.checksum).toEqual({ algorithm: 'blake2b', blockSize: 4 * MiB, local: null, server: null });
  });

  it('completes a fully read download the engine finalized by itself before the checksum, and says it is not verified', async () => {
    // Every byte is data, so the ticket counts as fully read once the data is in; the simulator's
    // engine polls every 25 ms (a real one every ~10 s) and may end the transfer before /checksum.
    const full = join(h.dir, 'full.raw');
    await writeFile(full, randomBytes(8 * MiB));
    const up = await uploadImage(h.deps, { path: full, storageDomain: 'data-nfs', diskName: 'full' }, { tuning: TUNING });
    const down = await downloadDisk(h.deps, { disk: up.diskId, output: { file: join(h.dir, 'full-down.raw') } }, { tuning: TUNING });
    if (down.verified === null) expect(down.verification).toBe('not verified: the engine ended the transfer before the server computed its checksum');
    else expect(down.verified).toBe(true);
    expect(down.digest).toBe(up.digest);
    await expectFileEqualsDisk(h.sim, up.diskId, join(h.dir, 'full-down.raw'));
  });

  it('gives the same digest for the same guest data in both directions', async () => {
    const up = await uploadImage(h.deps, { path: src, storageDomain: 'data-nfs', diskName: 'roundtrip' }, { tuning: TUNING });
    const down = await downloadDisk(h.deps, { disk: up.diskId, output: { file: join(h.dir, 'roundtrip.raw') } }, { tuning: { ...TUNING, workers: 4 } });
    expect(up.verified).toBe(true);
    expect(down.verified).toBe(true);
    expect(down.digest).toBe(up.digest);
  });

  it('verifies both directions with hashing on the worker thread, with the same digests as on the main thread', async () => {
    const deps = { ...h.deps, hashThread: true };
    const up = await uploadImage(deps, { path: src, storageDomain: 'data-nfs', diskName: 'threaded' }, { tuning: { ...TUNING, workers: 4 } });
    const down = await downloadDisk(deps, { disk: up.diskId, output: { file: join(h.dir, 'threaded.raw') } }, { tuning: { ...TUNING, workers: 4 } });
    const plain = await uploadImage(h.deps, { path: src, storageDomain: 'data-nfs', diskName: 'unthreaded' }, { tuning: TUNING });
    expect([up.verified, down.verified]).toEqual([true, true]);
    expect(down.digest).toBe(up.digest);
    expect(up.digest).toBe(plain.digest);
    await expectFileEqualsDisk(h.sim, up.diskId, join(h.dir, 'threaded.raw'));
  });
});
