/**
 * The ImageTransfer flow under faults, on every engine generation: a transfer the engine starts in
 * paused_system, an unreachable host (proxy fallback), an SSO token that stops working mid-transfer,
 * dropped connections and 500s mid-upload, a cancelled upload, and a finalize the engine's
 * verification refuses. Each case ends with the bytes compared and the engine state checked.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { uploadImage } from '../../main/engine/transfer/upload-image.js';
import { downloadDisk } from '../../main/engine/transfer/download-disk.js';
import { TransferControl } from '../../main/engine/transfer/control.js';
import { DiskFerryError } from '../../main/engine/errors.js';
import { expectDiskEqualsFile, expectFileEqualsSeed, makeSparseImage, MiB, SMALL_RUNS, SMALL_SIZE, startHarness, TUNING, VERSIONS, type Harness } from './helpers.js';

describe.each(VERSIONS)('faults on engine %s', (version) => {
  let h: Harness;
  let image: string;
  beforeAll(async () => {
    h = await startHarness(version);
    image = join(h.dir, 'src.raw');
    await makeSparseImage(image, SMALL_SIZE, SMALL_RUNS);
  });
  afterEach(() => h.resetFaults());
  afterAll(async () => {
    await h?.close();
  });

  /** The engine's disks with this name (to check what a failure left behind). */
  const disksNamed = (name: string) => [...h.sim.engine.state.disks.values()].filter((d) => d.name === name);

  it('resumes a transfer the engine started in paused_system', async () => {
    h.sim.faults.pausedSystemAtStart = true;
    const r = await uploadImage(h.deps, { path: image, storageDomain: 'data-nfs', diskName: `ps-${version}` }, { tuning: TUNING });
    await expectDiskEqualsFile(h.sim, r.diskId, image);
  });

  it('falls back to the engine proxy when the host cannot be reached', async () => {
    h.sim.faults.transferUrlUnreachable = true;
    const r = await uploadImage(h.deps, { path: image, storageDomain: 'data-nfs', diskName: `fb-${version}` }, { tuning: TUNING });
    expect(r.viaProxy).toBe(true);
    await expectDiskEqualsFile(h.sim, r.diskId, image);
    const out = join(h.dir, `fb-${version}.raw`);
    const d = await downloadDisk(h.deps, { disk: 'fedora-40-root', output: { file: out } }, { tuning: TUNING });
    expect(d.viaProxy).toBe(true);
    await expectFileEqualsSeed('fedora-40-root', out);
  });

  it('logs in again when the SSO token stops working in the middle of a transfer', async () => {
    let expired = false;
    const r = await uploadImage(
      h.deps,
      { path: image, storageDomain: 'data-nfs', diskName: `tok-${version}` },
      {
        tuning: TUNING,
        onProgress: (p) => {
          if (p.state === 'transferring' && !expired) {
            expired = true;
            h.sim.faults.expireTokens = true;
          }
        },
      },
    );
    expect(expired).toBe(true);
    expect(h.sim.faults.expireTokens).toBe(false); // the engine applied it: the old token was refused
    await expectDiskEqualsFile(h.sim, r.diskId, image);
  });

  it('survives a dropped connection and a 500 in the middle of an upload', async () => {
    h.sim.faults.dropAfterBytes = 300 * 1024;
    h.sim.faults.failNthPut = 2;
    const r = await uploadImage(h.deps, { path: image, storageDomain: 'data-nfs', diskName: `net-${version}` }, { tuning: { ...TUNING, workers: 2 } });
    expect(h.sim.faults.dropAfterBytes).toBeNull();
    expect(h.sim.faults.failNthPut).toBeNull();
    await expectDiskEqualsFile(h.sim, r.diskId, image);
  });

  it('asks the engine and goes on when imageio refuses an expired ticket in the middle of a transfer', async () => {
    let expired = false;
    const onProgress = (p: { state: string; bytesOnWire: number }) => {
      if (p.state === 'transferring' && !expired) {
        expired = true;
        h.sim.faults.expireTicket = true;
      }
    };
    const r = await uploadImage(h.deps, { path: image, storageDomain: 'data-nfs', diskName: `exp-${version}` }, { tuning: { ...TUNING, workers: 1 }, onProgress });
    expect(expired).toBe(true);
    expect(h.sim.faults.expireTicket).toBe(false); // a request really met the expired ticket
    await expectDiskEqualsFile(h.sim, r.diskId, image);
    expired = false;
    const out = join(h.dir, `exp-${version}.raw`);
    await downloadDisk(h.deps, { disk: r.diskId, output: { file: out } }, { tuning: { ...TUNING, workers: 1 }, onProgress });
    expect(expired).toBe(true);
    expect(h.sim.faults.expireTicket).toBe(false);
    await expectDiskEqualsFile(h.sim, r.diskId, out);
  });

  it('waits for an engine that stops answering just when the upload is finalized', async () => {
    let outage: Promise<void> | null = null;
    const onProgress = (p: { state: string }) => {
      if (p.state === 'finalizing' && !outage) {
        h.sim.faults.engineUnavailable = true;
        outage = new Promise((resolve) =>
          setTimeout(() => {
            h.sim.faults.engineUnavailable = false;
            resolve();
          }, 2500),
        );
      }
    };
    const r = await uploadImage(h.deps, { path: image, storageDomain: 'data-nfs', diskName: `down-${version}` }, { tuning: TUNING, onProgress });
    expect(outage).not.toBeNull();
    await outage;
    expect(h.sim.engine.state.disks.get(r.diskId)?.status).toBe('ok');
    await expectDiskEqualsFile(h.sim, r.diskId, image);
  });

  it('cancels an upload: the error says the engine deleted the disk, and it is gone', async () => {
    h.sim.faults.bandwidthBytesPerSecond = 2 * MiB; // slow enough to cancel mid-way
    const control = new TransferControl();
    const name = `cancel-${version}`;
    const err = await uploadImage(
      h.deps,
      { path: image, storageDomain: 'data-nfs', diskName: name },
      { tuning: TUNING, control, onProgress: (p) => p.state === 'transferring' && p.bytesOnWire > 0 && control.cancel() },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiskFerryError);
    expect((err as DiskFerryError).code).toBe('cancelled');
    expect((err as DiskFerryError).message).toMatch(new RegExp(`deleted the disk '${name}'`));
    expect(disksNamed(name)).toEqual([]);
  });

  it('fails an upload the engine does not verify, and reports the disk deleted', async () => {
    h.sim.faults.failFinalizeVerification = true;
    const name = `verify-${version}`;
    const err = await uploadImage(h.deps, { path: image, storageDomain: 'data-nfs', diskName: name }, { tuning: TUNING }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiskFerryError);
    expect((err as DiskFerryError).code).toBe('verification-failed');
    expect((err as DiskFerryError).message).toMatch(/deleted the disk/);
    expect(disksNamed(name)).toEqual([]);
  });
});

describe('bad input loses nothing (engine 4.5)', () => {
  let h: Harness;
  let image: string;
  beforeAll(async () => {
    h = await startHarness('4.5');
    image = join(h.dir, 'src.raw');
    await makeSparseImage(image, SMALL_SIZE, SMALL_RUNS);
  });
  afterAll(async () => {
    await h?.close();
  });

  const diskCount = () => h.sim.engine.state.disks.size;

  async function refusal(promise: Promise<unknown>): Promise<DiskFerryError> {
    const err = await promise.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiskFerryError);
    return err as DiskFerryError;
  }

  it('refuses an unknown storage domain, one in maintenance and one without room, before creating a disk', async () => {
    const before = diskCount();
    const unknown = await refusal(uploadImage(h.deps, { path: image, storageDomain: 'no-such-domain' }, { tuning: TUNING }));
    expect(unknown.code).toBe('not-found');
    expect(unknown.message).toMatch(/data-nfs/); // it lists the domains that exist
    const maint = await refusal(uploadImage(h.deps, { path: image, storageDomain: 'data-maint' }, { tuning: TUNING }));
    expect(maint.code).toBe('bad-input');
    expect(maint.message).toMatch(/maintenance.*Activate it, or choose another storage domain/);
    const iso = await refusal(uploadImage(h.deps, { path: image, storageDomain: 'iso-old' }, { tuning: TUNING }));
    expect(iso.message).toMatch(/only to data domains/);
    const big = join(h.dir, 'big.raw');
    await makeSparseImage(big, 8 * 1024 * MiB, [{ start: 0, length: MiB }]);
    const full = await refusal(uploadImage(h.deps, { path: big, storageDomain: 'data-full', preallocated: true }, { tuning: TUNING }));
    expect(full.code).toBe('bad-input');
    expect(full.message).toMatch(/data-full has .* free, not enough/);
    expect(diskCount()).toBe(before);
  });

  it('refuses a qcow2 with a backing file before anything reaches the engine', async () => {
    const before = diskCount();
    const path = join(h.dir, 'child.qcow2');
    const header = Buffer.alloc(1024 * 1024);
    header.writeUInt32BE(0x514649fb, 0);
    header.writeUInt32BE(3, 4);
    header.writeBigUInt64BE(512n, 8);
    header.writeUInt32BE(10, 16);
    header.writeUInt32BE(16, 20);
    header.writeBigUInt64BE(BigInt(64 * MiB), 24);
    header.write('base.qcow2', 512);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, header);
    const err = await refusal(uploadImage(h.deps, { path, storageDomain: 'data-nfs' }, { tuning: TUNING }));
    expect(err.code).toBe('unsupported-image');
    expect(err.message).toMatch(/backing file \(base\.qcow2\)/);
    expect(diskCount()).toBe(before);
  });

  it('says which disk is locked instead of downloading it twice', async () => {
    const out = join(h.dir, 'running.raw');
    const err = await refusal(downloadDisk(h.deps, { disk: 'vm-running-disk', output: { file: out } }, { tuning: TUNING }));
    expect(err.code).toBe('conflict');
    expect(h.sim.engine.state.disks.get([...h.sim.engine.state.disks.values()].find((d) => d.name === 'vm-running-disk')!.id)?.status).toBe('ok');
  });
});

describe('a slow data server (engine 4.5)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('4.5');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('does not lose a transfer whose requests take longer than the inactivity timeout', async () => {
    const image = join(h.dir, 'slow.raw');
    await makeSparseImage(image, 8 * MiB, [{ start: 0, length: 2 * MiB }]);
    h.sim.faults.latencyMs = 1300;
    const r = await uploadImage(h.deps, { path: image, storageDomain: 'data-nfs', diskName: 'slow' }, { tuning: { ...TUNING, inactivityTimeout: 1, workers: 1 } });
    h.sim.faults.latencyMs = 0;
    expect(h.sim.engine.state.disks.get(r.diskId)?.status).toBe('ok');
    await expectDiskEqualsFile(h.sim, r.diskId, image);
  });
});
