/**
 * One probe per upload, against the simulator: a queued upload carries the stamp of the probe it was
 * planned with and runs on it while the file keeps its size and modification time; a file changed
 * since is probed again, and one that became another kind of image fails at once, creating nothing.
 */
import { appendFile, open, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeImage, probeImageOnce } from '../../main/engine/image/probe.js';
import { uploadTarget, type UploadTarget } from '../../main/engine/plan/upload-target.js';
import type { QueueJob } from '../../main/engine/queue/job.js';
import type { StorageDomain } from '../../main/engine/ovirt/types.js';
import { expectDiskEqualsFile, KiB, makeIso, makeSparseImage, MiB, startHarness, type Harness } from './helpers.js';
import { openSimQueue } from './queue-helpers.js';

describe('planned uploads: the probe travels with the job', () => {
  let h: Harness;
  let nfs: StorageDomain;
  beforeAll(async () => {
    h = await startHarness('4.5');
    nfs = await h.client.storageDomain('data-nfs');
  });
  afterAll(async () => {
    await h?.close();
  });

  async function planned(name: string) {
    const file = join(h.dir, `${name}.raw`);
    await makeSparseImage(file, 4 * MiB, [{ start: 0, length: 512 * KiB }]);
    // A whole second, so that the test can give the file back exactly this modification time.
    const second = Math.floor(Date.now() / 1000) - 60;
    await utimes(file, second, second);
    return { file, ...uploadTarget(await probeImage(file), nfs, { storageDomain: 'data-nfs' }) };
  }

  /** Queues the upload on the simulator with the real runner and runs it to its end. */
  async function runQueued(target: UploadTarget): Promise<QueueJob> {
    const { q } = await openSimQueue(h);
    const [job] = await q.add([{ kind: 'upload', engine: 'sim', label: target.diskName, start: 'now', upload: target }]);
    q.start();
    await q.whenIdle();
    await q.close();
    return q.get(job!.id);
  }

  /** Writes `bytes` at `offset` and gives the file back its modification time: same size, same mtime. */
  async function writeKeepingStamp(file: string, offset: number, bytes: Buffer): Promise<void> {
    const second = (await stat(file)).mtimeMs / 1000;
    const fh = await open(file, 'r+');
    await fh.write(bytes, 0, bytes.length, offset);
    await fh.close();
    await utimes(file, second, second);
  }

  it('reuses the probe while size and modification time are unchanged, and probes again once they change', async () => {
    const { file, target } = await planned('stamp');
    expect(target).toMatchObject({ diskName: 'stamp', diskFormat: 'raw', preallocated: false, verify: true, image: { format: 'raw', virtualSize: 4 * MiB } });
    // The ISO 9660 mark at 0x8000 makes a fresh probe see an ISO image, no longer the raw one planned.
    await writeKeepingStamp(file, 0x8000, Buffer.from([0x01, 0x43, 0x44, 0x30, 0x30, 0x31, 0x01, 0x00]));
    expect(await probeImageOnce(file, target.image)).toMatchObject({ path: file, name: 'stamp.raw', format: 'raw', virtualSize: 4 * MiB });
    const done = await runQueued(target);
    expect(done.state, done.error?.message).toBe('completed');
    await expectDiskEqualsFile(h.sim, done.result!.diskId, file);
    // The run used the planned probe: a fresh one would have refused the file as changed.
    await utimes(file, new Date(), new Date());
    await expect(probeImageOnce(file, target.image)).rejects.toMatchObject({ code: 'image-changed' });
  });

  it('uploads a file that grew after it was queued as it is now', async () => {
    const { file, target } = await planned('grown');
    await appendFile(file, Buffer.alloc(MiB, 7));
    const done = await runQueued(target);
    expect(done.state, done.error?.message).toBe('completed');
    expect(done.result?.virtualSize).toBe(5 * MiB);
    await expectDiskEqualsFile(h.sim, done.result!.diskId, file);
  });

  it('fails a queued upload whose file became another kind of image, at once and before creating a disk', async () => {
    const { file, target } = await planned('became-iso');
    await makeIso(file, 4 * MiB);
    const done = await runQueued(target);
    expect(done.state).toBe('failed');
    expect(done.attempts).toBe(1);
    expect(done.error).toMatchObject({ code: 'image-changed', retryable: false });
    expect(done.error?.message).toMatch(/became-iso\.raw changed since it was planned: it was a raw image and is now iso/);
    expect([...h.sim.engine.state.disks.values()].some((d) => d.name === 'became-iso')).toBe(false);
  });
});
