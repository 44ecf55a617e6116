/**
 * What a crashed queue finds on the engine after a restart, made real on the simulator, and what the
 * next attempt does about it: re-attach to a live upload, start over (cleaning up) when the transfer
 * or the disk cannot be continued, find a disk whose id was never saved by its tag, unlock a disk an
 * interrupted download kept open, and accept an upload the engine finished while we were gone.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewJob } from '../../main/engine/queue/job.js';
import { jobTag } from '../../main/engine/queue/recovery.js';
import { uploadImage } from '../../main/engine/transfer/upload-image.js';
import { expectDiskEqualsFile, expectFileEqualsDisk, KiB, makeSparseImage, MiB, startHarness, TUNING, transferPhasesOf, type Harness } from './helpers.js';
import { addSimDisk, crashedQueue, downloadPath, openSimQueue, runToEnd } from './queue-helpers.js';

describe('transfer queue: recovery after a crash', () => {
  let h: Harness;
  let out: string;
  beforeAll(async () => {
    h = await startHarness('4.5');
    out = join(h.dir, 'out');
    await mkdir(out);
  });
  afterAll(async () => {
    await h?.close();
  });


  async function image(name: string): Promise<string> {
    const file = join(h.dir, `${name}.raw`);
    await makeSparseImage(file, 4 * MiB, [{ start: 256 * KiB, length: MiB }]);
    return file;
  }

  /** A disk and an upload transfer, as a run creates them. */
  async function diskAndTransfer(name: string, description = ''): Promise<{ diskId: string; transferId: string }> {
    const sd = await h.client.storageDomain('data-nfs');
    const disk = await h.client.createDisk({ name, description, provisionedSize: 4 * MiB, format: 'raw', sparse: true, storageDomain: { id: sd.id } });
    await h.client.waitForDiskOk(disk.id, { timeoutMs: 10_000 });
    const t = await h.client.createTransfer({ diskId: disk.id, direction: 'upload', format: 'raw' });
    await h.client.waitForTransferReady(t.id, { timeoutMs: 10_000 });
    return { diskId: disk.id, transferId: t.id };
  }


  const upload = (file: string): NewJob => ({ kind: 'upload', engine: 'sim', upload: { path: file, storageDomain: 'data-nfs' } });

  it('re-attaches to an upload the engine still holds (paused), on the same disk', async () => {
    const file = await image('rec-paused');
    const ids = await diskAndTransfer('rec-paused');
    await h.client.pauseTransfer(ids.transferId);
    const { store, id } = crashedQueue(upload(file), ids);
    const job = await runToEnd(h, store, id);
    expect(job.state).toBe('completed');
    expect(job.result!.diskId).toBe(ids.diskId);
    expect(transferPhasesOf(h.sim, ids.diskId)).toEqual(['finished_success']);
    await expectDiskEqualsFile(h.sim, ids.diskId, file);
  });

  it('starts over when the engine cancelled the transfer meanwhile (its disk is gone)', async () => {
    const file = await image('rec-cancelled');
    const ids = await diskAndTransfer('rec-cancelled');
    await h.client.cancelTransferAndWait(ids.transferId, { timeoutMs: 10_000 });
    const { store, id } = crashedQueue(upload(file), ids);
    const job = await runToEnd(h, store, id);
    expect(job.state).toBe('completed');
    expect(job.result!.diskId).not.toBe(ids.diskId);
    expect([...h.sim.engine.state.disks.values()].filter((d) => d.name === 'rec-cancelled').map((d) => d.id)).toEqual([job.result!.diskId]);
    await expectDiskEqualsFile(h.sim, job.result!.diskId, file);
  });

  it('deletes a disk left without a transfer, and one whose id was never saved (found by its tag)', async () => {
    const file = await image('rec-orphan');
    const sd = await h.client.storageDomain('data-nfs');
    const left = await h.client.createDisk({ name: 'rec-orphan', provisionedSize: 4 * MiB, format: 'raw', sparse: true, storageDomain: { id: sd.id } });
    const a = crashedQueue(upload(file), { diskId: left.id, transferId: null, state: 'preparing' });
    await h.client.waitForDiskOk(left.id, { timeoutMs: 10_000 });
    const first = await runToEnd(h, a.store, a.id);
    expect(h.sim.engine.state.disks.has(left.id)).toBe(false);

    const file2 = await image('rec-untracked');
    const b = crashedQueue(upload(file2), { diskId: null, transferId: null, state: 'preparing' });
    const untracked = await h.client.createDisk({ name: 'rec-untracked', description: `Uploaded by DiskFerry ${jobTag(b.id)}`, provisionedSize: 4 * MiB, format: 'raw', sparse: true, storageDomain: { id: sd.id } });
    const unrelated = await h.client.createDisk({ name: 'rec-untracked', description: 'someone else', provisionedSize: MiB, format: 'raw', sparse: true, storageDomain: { id: sd.id } });
    await h.client.waitForDiskOk(untracked.id, { timeoutMs: 10_000 });
    const second = await runToEnd(h, b.store, b.id);

    expect([first.state, second.state]).toEqual(['completed', 'completed']);
    expect(h.sim.engine.state.disks.has(untracked.id)).toBe(false);
    expect(h.sim.engine.state.disks.has(unrelated.id)).toBe(true);
    await expectDiskEqualsFile(h.sim, first.result!.diskId, file);
    await expectDiskEqualsFile(h.sim, second.result!.diskId, file2);
  });

  it('finalizes the transfer an interrupted download left open, then downloads', async () => {
    const diskId = await addSimDisk(h.sim, 'rec-dl', 8 * MiB, [{ start: MiB, length: MiB }]);
    const stale = await h.client.createTransfer({ diskId, direction: 'download', format: 'raw' });
    await h.client.waitForTransferReady(stale.id, { timeoutMs: 10_000 });
    expect(h.sim.engine.state.disks.get(diskId)!.status).toBe('locked');
    const { store, id } = crashedQueue({ kind: 'download', engine: 'sim', download: { disk: diskId, diskName: 'rec-dl', outputDir: out, size: 8 * MiB } }, { diskId, transferId: stale.id });
    const job = await runToEnd(h, store, id);
    expect(job.state).toBe('completed');
    expect(h.sim.engine.state.transfers.get(stale.id)!.phase).toBe('finished_success');
    await expectFileEqualsDisk(h.sim, diskId, downloadPath(out, 'rec-dl'));
  });

  it('accepts an upload the engine finished while the queue was down, without sending it again', async () => {
    const file = await image('rec-finished');
    let ids: { diskId: string; transferId: string | null } | null = null;
    await uploadImage(h.deps, { path: file, storageDomain: 'data-nfs' }, { tuning: TUNING, onCreated: (x) => void (ids = x) });
    const { store, id } = crashedQueue(upload(file), { ...ids!, state: 'finalizing', finalizing: true });
    const job = await runToEnd(h, store, id);
    expect(job.state).toBe('completed');
    expect(job.result).toMatchObject({ diskId: ids!.diskId, bytesOnWire: 0 });
    expect(job.notes.join(' ')).toMatch(/had finished this upload/);
    expect([...h.sim.engine.state.disks.values()].filter((d) => d.name === 'rec-finished')).toHaveLength(1);
  });

  it('cleans up what a cancelled job left on the engine', async () => {
    const file = await image('rec-cancel');
    const ids = await diskAndTransfer('rec-cancel');
    const { store, id } = crashedQueue(upload(file), { ...ids, state: 'queued' });
    const { q } = await openSimQueue(h, {}, {}, store);
    q.cancel(id);
    await new Promise((r) => setTimeout(r, 50));
    const deadline = Date.now() + 10_000;
    while (h.sim.engine.state.disks.has(ids.diskId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(h.sim.engine.state.disks.has(ids.diskId)).toBe(false);
    expect(q.get(id).state).toBe('cancelled');
    await q.close();
  });
});
