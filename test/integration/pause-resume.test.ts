/**
 * Pause and resume in the middle of the data, against every engine generation: the upload's engine
 * transfer goes to paused_user and back to transferring, a download just stops and goes on, and the
 * bytes are equal in the end.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TransferControl } from '../../main/engine/transfer/control.js';
import { downloadDisk } from '../../main/engine/transfer/download-disk.js';
import { uploadImage } from '../../main/engine/transfer/upload-image.js';
import type { TransferProgress } from '../../shared/model.js';
import {
  expectDiskEqualsFile,
  expectFileEqualsDisk,
  makeSparseImage,
  MiB,
  SMALL_RUNS,
  SMALL_SIZE,
  startHarness,
  transferPhasesOf,
  TUNING,
  until,
  VERSIONS,
  type Harness,
} from './helpers.js';

describe.each(VERSIONS)('pause and resume on engine %s', (version) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(version);
  });
  afterEach(() => h.resetFaults());
  afterAll(async () => {
    await h?.close();
  });

  it('pauses an upload mid-transfer (engine paused_user), resumes it, and the disk holds the same bytes', async () => {
    const path = join(h.dir, 'paused-upload.raw');
    await makeSparseImage(path, SMALL_SIZE, SMALL_RUNS);
    h.sim.faults.bandwidthBytesPerSecond = 4 * MiB;
    const control = new TransferControl();
    const states: TransferProgress['state'][] = [];
    let diskId: string | null = null;
    let pausedAtWire = -1;
    const running = uploadImage(
      h.deps,
      { path, storageDomain: 'data-nfs', diskName: `paused-upload-${version}` },
      {
        control,
        tuning: { ...TUNING, workers: 2 },
        onProgress: (p) => {
          states.push(p.state);
          if (p.state === 'transferring' && p.bytesOnWire >= MiB && pausedAtWire < 0) {
            pausedAtWire = p.bytesOnWire;
            control.pause();
          }
        },
      },
    );
    // Sample the engine's phases of this transfer as they change.
    const phases: string[] = [];
    const sampler = setInterval(() => {
      diskId ??= [...h.sim.engine.state.disks.values()].find((d) => d.name === `paused-upload-${version}`)?.id ?? null;
      const phase = diskId === null ? undefined : transferPhasesOf(h.sim, diskId)[0];
      if (phase !== undefined && phase !== phases.at(-1)) phases.push(phase);
    }, 2);
    try {
      // The engine learns about the pause: its transfer goes to paused_user.
      await until(() => phases.at(-1) === 'paused_user', 10_000, 'the engine phase paused_user');
      expect(states.at(-1)).toBe('paused');
      h.sim.faults.bandwidthBytesPerSecond = null;
      control.resume();
      await until(() => phases.at(-1) !== 'paused_user', 10_000, 'the engine to leave paused_user');
    } finally {
      clearInterval(sampler);
    }
    const result = await running;

    // ...and back: resuming (or straight) to transferring after paused_user.
    expect(phases.slice(phases.indexOf('paused_user') + 1)[0]).toMatch(/^(resuming|transferring)$/);

    expect(pausedAtWire).toBeGreaterThan(0);
    expect(pausedAtWire).toBeLessThan(result.bytesOnWire); // the pause landed before the end of the data
    expect(states.filter((s) => s === 'transferring').length).toBeGreaterThanOrEqual(1);
    expect(states.indexOf('paused')).toBeLessThan(states.lastIndexOf('transferring'));
    expect(states.at(-1)).toBe('completed');
    expect(h.sim.engine.state.disks.get(result.diskId)?.status).toBe('ok');
    await expectDiskEqualsFile(h.sim, result.diskId, path);
  });

  it('pauses a download mid-transfer, resumes it, and the file holds the same bytes', async () => {
    const path = join(h.dir, 'to-download.raw');
    await makeSparseImage(path, SMALL_SIZE, SMALL_RUNS);
    const up = await uploadImage(h.deps, { path, storageDomain: 'data-nfs', diskName: `paused-download-${version}` }, { tuning: TUNING });
    h.sim.faults.bandwidthBytesPerSecond = 4 * MiB;
    const control = new TransferControl();
    const states: TransferProgress['state'][] = [];
    let resumed = false;
    const file = join(h.dir, 'paused-download.raw');
    const running = downloadDisk(h.deps, { disk: up.diskId, output: { file } }, {
      control,
      tuning: { ...TUNING, workers: 2 },
      onProgress: (p) => {
        states.push(p.state);
        if (p.state === 'transferring' && p.bytesOnWire >= MiB && !control.paused && !resumed) control.pause();
      },
    });
    await until(() => states.at(-1) === 'paused', 10_000, 'the paused state');
    // While paused no data moves; the transfer stays open on the engine.
    expect(transferPhasesOf(h.sim, up.diskId)).toContain('transferring');
    h.sim.faults.bandwidthBytesPerSecond = null;
    resumed = true;
    control.resume();
    const result = await running;

    expect(states.lastIndexOf('transferring')).toBeGreaterThan(states.indexOf('paused'));
    expect(states.at(-1)).toBe('completed');
    await expectFileEqualsDisk(h.sim, up.diskId, result.path);
    expect(h.sim.engine.state.disks.get(up.diskId)?.status).toBe('ok');
  });
});
