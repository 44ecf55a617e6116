/**
 * A slow or absent control plane must not lose a transfer: the engine stops answering just when an
 * upload is finalized (finalize and the outcome wait for it), and a data server whose requests take
 * longer than the inactivity timeout (a busy server is not an idle client).
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { uploadImage } from '../../main/engine/transfer/upload-image.js';
import { expectDiskEqualsFile, makeSparseImage, MiB, SMALL_RUNS, SMALL_SIZE, startHarness, TUNING, VERSIONS, type Harness } from './helpers.js';

describe.each(VERSIONS)('an engine that stops answering, engine %s', (version) => {
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
