/**
 * Uploading qcow2 images without qemu: on 4.5 every kind of fixture goes up as guest data over a
 * `format: raw` transfer, the disk's bytes equal `qemu-img convert -O raw` of the fixture, and the
 * server's checksum matches; on 4.3 the same without a checksum to compare; on 4.1 the file goes as it
 * is into a cow disk. Damaged and unsupported images are refused before a disk is created.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../main/engine/errors.js';
import { Qcow2Reader } from '../../main/engine/image/qcow2-reader.js';
import { qcow2SizeEstimate } from '../../main/engine/plan/upload-rules.js';
import { uploadImage } from '../../main/engine/transfer/upload-image.js';
import { FIXTURE_KINDS, makeQcow2, makeSourceRaw, qemu, qemuDataRanges, qemuRaw, type FixtureKind } from '../engine/image/qcow2-fixtures.js';
import { expectDiskEqualsFile, startHarness, TUNING, type Harness } from './helpers.js';

/** The fixtures of every kind, with qemu's raw view of each, made once in `dir`. */
async function makeFixtures(dir: string): Promise<Map<FixtureKind, { qcow2: string; raw: string }>> {
  const source = await makeSourceRaw(join(dir, 'source.raw'));
  const out = new Map<FixtureKind, { qcow2: string; raw: string }>();
  for (const kind of FIXTURE_KINDS) {
    const qcow2 = await makeQcow2(dir, kind, source);
    out.set(kind, { qcow2, raw: await qemuRaw(qcow2, join(dir, `${kind}.guest.raw`)) });
  }
  return out;
}

async function refusal(p: Promise<unknown>): Promise<DiskFerryError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DiskFerryError);
  return err as DiskFerryError;
}

describe('qcow2 upload to engine 4.5', () => {
  let h: Harness;
  let fixtures: Map<FixtureKind, { qcow2: string; raw: string }>;
  beforeAll(async () => {
    h = await startHarness('4.5');
    fixtures = await makeFixtures(h.dir);
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each(FIXTURE_KINDS)('%s: the cow disk holds qemu’s guest data and the checksum matches', async (kind) => {
    const { qcow2, raw } = fixtures.get(kind)!;
    const result = await uploadImage(h.deps, { path: qcow2, storageDomain: 'data-nfs', diskName: `q-${kind}` }, { tuning: TUNING });

    const disk = h.sim.engine.state.disks.get(result.diskId)!;
    expect(disk.status).toBe('ok');
    expect(disk.format).toBe('cow');
    expect(disk.sparse).toBe(true);
    const transfer = [...h.sim.engine.state.transfers.values()].find((t) => t.diskId === result.diskId)!;
    expect(transfer.backend).toBe('nbd');
    await expectDiskEqualsFile(h.sim, result.diskId, raw);
    expect(result.verified).toBe(true);
    expect(result.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(result.report).toMatchObject({ direction: 'upload', outcome: 'completed', localFormat: 'qcow2', verified: true, checksum: { local: result.digest, server: result.digest } });
    // Only the data went over the wire: zero and unallocated clusters were skipped.
    const data = (await qemuDataRanges(qcow2)).reduce((s, e) => s + e.length, 0);
    expect(result.dataBytes).toBe(data);
    expect(result.bytesOnWire).toBe(data);
  });

  it('uploads a qcow2 into a raw disk when asked', async () => {
    const { qcow2, raw } = fixtures.get('deflate')!;
    const result = await uploadImage(h.deps, { path: qcow2, storageDomain: 'data-nfs', diskName: 'q-to-raw', diskFormat: 'raw' }, { tuning: TUNING });
    expect(h.sim.engine.state.disks.get(result.diskId)?.format).toBe('raw');
    await expectDiskEqualsFile(h.sim, result.diskId, raw);
    expect(result.verified).toBe(true);
  });

  it('sizes a sparse cow disk on block storage from the allocated guest data', async () => {
    const { qcow2, raw } = fixtures.get('zstd')!;
    const result = await uploadImage(h.deps, { path: qcow2, storageDomain: 'data-iscsi', diskName: 'q-block' }, { tuning: TUNING });
    const disk = h.sim.engine.state.disks.get(result.diskId)!;
    expect(disk.backup).toBe('incremental');
    expect(disk.initialSize).toBe(qcow2SizeEstimate(result.virtualSize, result.dataBytes));
    await expectDiskEqualsFile(h.sim, result.diskId, raw);
  });

  it('refuses a damaged qcow2 before creating a disk, with what is wrong and what to do', async () => {
    const bytes = await readFile(fixtures.get('v3')!.qcow2);
    const l1 = Number(bytes.readBigUInt64BE(40));
    const l2 = Number(bytes.readBigUInt64BE(l1) & 0x00fffffffffffe00n);
    bytes.writeBigUInt64BE(bytes.readBigUInt64BE(l2) + 512n, l2); // a misaligned data cluster
    const path = join(h.dir, 'damaged.qcow2');
    await writeFile(path, bytes);
    const disksBefore = h.sim.engine.state.disks.size;

    const err = await refusal(uploadImage(h.deps, { path, storageDomain: 'data-nfs' }, { tuning: TUNING }));
    expect(err.code).toBe('unsupported-image');
    expect(err.message).toMatch(/damaged\.qcow2 is a corrupt qcow2 image: .*misaligned cluster.*qemu-img check -r all/);
    expect(h.sim.engine.state.disks.size).toBe(disksBefore);
  });

  it('refuses a qcow2 whose backing file is not there (a whole chain uploads: chain-upload.test.ts)', async () => {
    const base = join(h.dir, 'base.qcow2');
    const overlay = join(h.dir, 'overlay.qcow2');
    await qemu('qemu-img', ['create', '-f', 'qcow2', base, '4M']);
    await qemu('qemu-img', ['create', '-f', 'qcow2', '-b', base, '-F', 'qcow2', overlay]);
    await rm(base);
    const disks = h.sim.engine.state.disks.size;
    const err = await refusal(uploadImage(h.deps, { path: overlay, storageDomain: 'data-nfs' }, { tuning: TUNING }));
    expect(err.code).toBe('unsupported-image');
    expect(err.message).toMatch(/backing file .* which is not there.* flatten it first/);
    expect(h.sim.engine.state.disks.size).toBe(disks);
  });
});

describe('qcow2 upload to older engines', () => {
  let h43: Harness;
  let h41: Harness;
  let fixtures: Map<FixtureKind, { qcow2: string; raw: string }>;
  beforeAll(async () => {
    [h43, h41] = await Promise.all([startHarness('4.3'), startHarness('4.1')]);
    fixtures = await makeFixtures(h43.dir);
  });
  afterAll(async () => {
    await Promise.all([h43?.close(), h41?.close()]);
  });

  it('4.3: sends the guest data over format raw; no checksum to compare, and it says so', async () => {
    const { qcow2, raw } = fixtures.get('zero-clusters')!;
    const result = await uploadImage(h43.deps, { path: qcow2, storageDomain: 'data-nfs' }, { tuning: TUNING });
    await expectDiskEqualsFile(h43.sim, result.diskId, raw);
    expect(result.verified).toBeNull();
    expect(result.verification).toBe('not verified: the server cannot compute checksums');
    expect(result.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('4.1: sends the qcow2 file as it is into a cow disk, which holds the same guest data', async () => {
    const { qcow2, raw } = fixtures.get('deflate')!;
    const result = await uploadImage(h41.deps, { path: qcow2, storageDomain: 'data-nfs' }, { tuning: TUNING });
    const disk = h41.sim.engine.state.disks.get(result.diskId)!;
    expect(disk.status).toBe('ok');
    expect(disk.format).toBe('cow');
    const image = h41.sim.images.get(result.diskId)!;
    const file = await readFile(qcow2);
    expect((await image.read(0, file.length)).equals(file)).toBe(true);
    // The volume read as qcow2 is qemu's guest data.
    const reader = await Qcow2Reader.open({ size: file.length, read: async (o, b) => file.copy(b, 0, o, Math.min(file.length, o + b.length)) }, 'volume');
    const guest = Buffer.alloc(reader.size);
    await reader.read(0, guest);
    expect(guest.equals(await readFile(raw))).toBe(true);
    expect(result.verified).toBeNull();
  });

  it('4.1: refuses a preallocated cow disk before creating anything (it needs incremental backup, 4.3+)', async () => {
    const disksBefore = h41.sim.engine.state.disks.size;
    const err = await refusal(uploadImage(h41.deps, { path: fixtures.get('v3')!.qcow2, storageDomain: 'data-nfs', preallocated: true }, { tuning: TUNING }));
    expect(err.code).toBe('bad-input');
    expect(err.message).toMatch(/cannot create a preallocated cow disk.*without --preallocated/);
    expect(h41.sim.engine.state.disks.size).toBe(disksBefore);
  });

  it('4.1: still refuses a damaged qcow2, though its bytes would go as they are', async () => {
    const bytes = await readFile(fixtures.get('v3')!.qcow2);
    bytes.writeUInt32BE(1 << 20, 36); // an L1 table of 8 MiB in a 4 MiB file
    const path = join(h41.dir, 'damaged-l1.qcow2');
    await writeFile(path, bytes);
    const err = await refusal(uploadImage(h41.deps, { path, storageDomain: 'data-nfs' }, { tuning: TUNING }));
    expect(err.code).toBe('unsupported-image');
    expect(err.message).toMatch(/L1 table .* is larger than the file/);
  });
});
