/**
 * Uploads that must fail, cleanly, against every engine generation: a user cancel and a failed
 * finalize verification (the disk is deleted and the message says so), and bad input that is
 * refused with a clear message before anything is created on the engine.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../main/engine/errors.js';
import { createLog } from '../../main/engine/log.js';
import { OvirtClient } from '../../main/engine/ovirt/client.js';
import { TransferControl } from '../../main/engine/transfer/control.js';
import { uploadImage, type UploadSpec } from '../../main/engine/transfer/upload-image.js';
import { realTimers } from '../../main/engine/timers.js';
import {
  makeQcow2WithBacking,
  makeSparseImage,
  MiB,
  SMALL_RUNS,
  SMALL_SIZE,
  startHarness,
  TUNING,
  until,
  VERSIONS,
  type Harness,
} from './helpers.js';

/** The error an upload rejected with. */
async function uploadError(promise: Promise<unknown>): Promise<DiskFerryError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'the upload should have failed').toBeInstanceOf(DiskFerryError);
  return err as DiskFerryError;
}

describe.each(VERSIONS)('failed uploads on engine %s', (version) => {
  let h: Harness;
  let src: string;
  beforeAll(async () => {
    h = await startHarness(version);
    src = join(h.dir, 'source.raw');
    await makeSparseImage(src, SMALL_SIZE, SMALL_RUNS);
  });
  afterEach(() => h.resetFaults());
  afterAll(async () => {
    await h?.close();
  });

  const diskNamed = (name: string) => [...h.sim.engine.state.disks.values()].find((d) => d.name === name);
  const diskCount = () => h.sim.engine.state.disks.size;

  it('cancels an upload mid-transfer: code cancelled, and the engine really deleted the disk', async () => {
    const name = `cancelled-${version}`;
    h.sim.faults.bandwidthBytesPerSecond = 2 * MiB;
    const control = new TransferControl();
    let diskId: string | undefined;
    const err = await uploadError(
      uploadImage(h.deps, { path: src, storageDomain: 'data-nfs', diskName: name }, {
        control,
        tuning: { ...TUNING, workers: 1 },
        onProgress: (p) => {
          if (p.state === 'transferring' && p.bytesOnWire > 0 && !control.cancelled) {
            diskId = diskNamed(name)?.id;
            control.cancel();
          }
        },
      }),
    );

    expect(diskId).toBeDefined();
    expect(err.code).toBe('cancelled');
    expect(err.message).toContain(`deleted the disk '${name}'`);
    expect(h.sim.engine.state.disks.has(diskId!)).toBe(false);
    expect(h.sim.images.get(diskId!)).toBeUndefined();
    expect(await h.client.disk(diskId!)).toBeNull();
  });

  it('reports a failed finalize verification as verification-failed, and the disk is deleted', async () => {
    const name = `unverified-${version}`;
    h.sim.faults.failFinalizeVerification = true;
    const created: string[] = [];
    const err = await uploadError(
      uploadImage(h.deps, { path: src, storageDomain: 'data-nfs', diskName: name }, {
        tuning: TUNING,
        onProgress: (p) => {
          const id = diskNamed(name)?.id;
          if (p.state === 'finalizing' && id) created.push(id);
        },
      }),
    );

    expect(err.code).toBe('verification-failed');
    expect(err.message).toContain(`deleted the disk '${name}'`);
    expect(created.length).toBeGreaterThan(0);
    expect(h.sim.engine.state.disks.has(created[0]!)).toBe(false);
    expect(diskNamed(name)).toBeUndefined();
  });

  describe('bad input is refused before any disk is created', () => {
    const refuse = async (spec: Partial<UploadSpec>, code: string, says: RegExp) => {
      const before = diskCount();
      const err = await uploadError(uploadImage(h.deps, { path: src, storageDomain: 'data-nfs', ...spec }, { tuning: TUNING }));
      expect(err.code).toBe(code);
      expect(err.message).toMatch(says);
      expect(diskCount()).toBe(before);
      return err;
    };

    it('an unknown storage domain', async () => {
      await refuse({ storageDomain: 'no-such-domain', diskName: 'x1' }, 'not-found', /no storage domain 'no-such-domain'.*data-nfs/);
    });

    it('a storage domain in maintenance', async () => {
      await refuse({ storageDomain: 'data-maint', diskName: 'x2' }, 'bad-input', /data-maint is not active \(its status: maintenance\)/);
    });

    it('a storage domain without enough free space', async () => {
      const big = join(h.dir, 'big.raw');
      await makeSparseImage(big, 4 * 1024 * MiB, [{ start: 0, length: MiB }]);
      // data-full with no threshold: 3 GiB free, above it, yet short of the 4 GiB a preallocated disk takes.
      const full = [...h.sim.engine.state.storageDomains.values()].find((d) => d.name === 'data-full')!;
      const threshold = full.criticalSpaceActionBlocker;
      full.criticalSpaceActionBlocker = 0;
      try {
        await refuse({ path: big, storageDomain: 'data-full', diskName: 'x3', preallocated: true }, 'domain-full', /data-full has 3\.0 GiB free, not enough for big\.raw \(4\.0 GiB\)/);
      } finally {
        full.criticalSpaceActionBlocker = threshold;
      }
    });

    it('a storage domain below its critical space threshold, even for a small sparse disk', async () => {
      // The engine's critical_space_action_blocker is read with the domain: refused before the engine is asked.
      await refuse({ storageDomain: 'data-full', diskName: 'x4' }, 'domain-full', /data-full has 3\.0 GiB free, below its critical space threshold of 5\.0 GiB/);
    });

    it('a qcow2 image with a backing file', async () => {
      const child = join(h.dir, 'child.qcow2');
      await makeQcow2WithBacking(child, 64 * MiB);
      await refuse({ path: child, diskName: 'x5' }, 'unsupported-image', /backing file \(base\.qcow2\)/);
    });

    it('a wrong password: auth-failed, and the message does not contain the password', async () => {
      const wrong = 'Wr0ng-Pa55word!';
      const lines: string[] = [];
      const log = createLog({ level: 'debug', write: (l) => lines.push(l) });
      const trust = { caPem: [h.sim.caPem] };
      const client = new OvirtClient({ engineUrl: h.sim.engineUrl, username: h.sim.username, password: () => wrong, trust, log, pollIntervalMs: 20 });
      const before = diskCount();
      try {
        const err = await uploadError(uploadImage({ client, trust, log, timers: realTimers, now: Date.now }, { path: src, storageDomain: 'data-nfs' }, { tuning: TUNING }));
        expect(err.code).toBe('auth-failed');
        expect(err.message).toMatch(/password/i);
        expect(err.message).not.toContain(wrong);
        expect(lines.join('\n')).not.toContain(wrong);
        expect(diskCount()).toBe(before);
      } finally {
        await client.close();
      }
    });
  });

  it('leaves no transfer behind after the failures above', async () => {
    await until(() => [...h.sim.engine.state.transfers.values()].every((t) => t.phase.startsWith('finished')), 5000, 'every transfer to finish');
  });
});
