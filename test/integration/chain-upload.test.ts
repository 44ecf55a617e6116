/**
 * A qcow2 with a backing chain uploads as the chain collapsed: the disk holds what
 * `qemu-img convert -O raw` of the top gives, only data goes over the wire, the checksum matches,
 * and the plan says it sends the whole chain. An engine that takes a qcow2 only as its file's bytes
 * (4.1) refuses it before a disk is made.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeImage } from '../../main/engine/image/probe.js';
import { uploadTarget } from '../../main/engine/plan/upload-target.js';
import { uploadImage } from '../../main/engine/transfer/upload-image.js';
import { makeChain } from '../engine/image/qcow2-chain-fixtures.js';
import { qemuDataRanges, qemuRaw } from '../engine/image/qcow2-fixtures.js';
import { expectDiskEqualsFile, startHarness, TUNING, type Harness } from './helpers.js';

describe('uploading the top of a backing chain', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('4.5');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('the disk holds the collapsed chain; only its data is sent; the plan says so', async () => {
    const chain = await makeChain(h.dir, { prefix: 'up' });
    const probe = await probeImage(chain.top);
    const domain = await h.client.storageDomain('data-nfs');
    const { target, notes } = uploadTarget(probe, domain, { storageDomain: 'data-nfs', diskName: 'chain-up' });
    expect(notes).toContain('up-top.qcow2 has a backing chain: uploads the whole chain collapsed: 3 files.');
    const result = await uploadImage(h.deps, target, { tuning: TUNING });
    await expectDiskEqualsFile(h.sim, result.diskId, await qemuRaw(chain.top, join(h.dir, 'up.want.raw')));
    const data = (await qemuDataRanges(chain.top)).reduce((s, e) => s + e.length, 0);
    expect(result.dataBytes).toBe(data);
    expect(result.bytesOnWire).toBe(data);
    expect(result.verified).toBe(true);
    expect(h.logLines.some((l) => l.includes('uploads the whole chain collapsed: 3 files'))).toBe(true);
  });
});

describe('an engine that takes a qcow2 only as its bytes (4.1)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('4.1');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refuses a chain before it creates a disk, and says how to flatten it', async () => {
    const chain = await makeChain(h.dir, { prefix: 'old' });
    const before = h.sim.engine.state.disks.size;
    await expect(uploadImage(h.deps, { path: chain.top, storageDomain: 'data-nfs' }, { tuning: TUNING })).rejects.toMatchObject({
      code: 'bad-input',
      message: expect.stringMatching(/takes a qcow2 only as the bytes of its file, so old-top\.qcow2 cannot be sent with its backing chain \(3 files\)\. Flatten it first: qemu-img convert -O qcow2 old-top\.qcow2 old-top-flat\.qcow2/),
    });
    expect(h.sim.engine.state.disks.size).toBe(before);
  });
});
