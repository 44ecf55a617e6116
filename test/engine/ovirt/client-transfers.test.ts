import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Disk } from '../../../main/engine/ovirt/types.js';
import { startSimulator, type Simulator } from '../../../main/simulator/simulator.js';
import { simClient, type TestClient } from './sim-helpers.js';

const GiB = 1024 ** 3;

/** What each engine generation must receive and report (engine.md §6, §4.8). */
const GENERATIONS = [
  { version: '4.1', target: 'image', format: false, inactivity: false, policy: false, confirmedBy: 'disk', hasCancel: false },
  { version: '4.3', target: 'disk', format: true, inactivity: true, policy: false, confirmedBy: 'disk', hasCancel: true },
  { version: '4.5', target: 'disk', format: true, inactivity: true, policy: true, confirmedBy: 'phase', hasCancel: true },
] as const;

for (const gen of GENERATIONS) {
  describe(`image transfers on engine ${gen.version}`, () => {
    let sim: Simulator;
    let t: TestClient;
    beforeAll(async () => {
      sim = await startSimulator({ engineVersion: gen.version, fast: true });
      t = simClient(sim);
    });
    afterAll(async () => {
      await t?.close();
      await sim?.close();
    });

    let n = 0;
    async function newDisk(): Promise<Disk> {
      const d = await t.client.createDisk({ name: `tr-${gen.version}-${++n}`, provisionedSize: GiB, format: 'raw', sparse: true, storageDomain: { name: 'data-nfs' } });
      return t.client.waitForDiskOk(d.id, { timeoutMs: 10_000 });
    }

    function lastTransferBody(): Record<string, unknown> {
      const post = t.seen.filter((r) => r.method === 'POST' && r.path === '/ovirt-engine/api/imagetransfers').at(-1);
      return JSON.parse(post?.body ?? '{}') as Record<string, unknown>;
    }

    it(`creates the transfer with the ${gen.target} target and only the attributes this engine knows`, async () => {
      const disk = await newDisk();
      const tr = await t.client.createTransfer({ diskId: disk.id, direction: 'upload', format: 'raw', inactivityTimeout: 120, timeoutPolicy: 'cancel' });
      const body = lastTransferBody();
      expect(body[gen.target]).toEqual({ id: disk.id });
      expect(body[gen.target === 'disk' ? 'image' : 'disk']).toBeUndefined();
      expect('format' in body).toBe(gen.format);
      expect('inactivity_timeout' in body).toBe(gen.inactivity);
      expect('timeout_policy' in body).toBe(gen.policy);
      expect(tr.diskId).toBe(disk.id);
      expect(tr.direction).toBe('upload');
      await t.client.finishTransfer(tr.id, { diskId: disk.id, direction: 'upload' });
    });

    it(`finishes an upload and confirms it by ${gen.confirmedBy}`, async () => {
      const disk = await newDisk();
      const tr = await t.client.createTransfer({ diskId: disk.id, direction: 'upload', format: 'raw' });
      const ready = await t.client.waitForTransferReady(tr, { timeoutMs: 10_000 });
      expect(ready.phase).toBe('transferring');
      expect(ready.proxyUrl).toMatch(/^https:\/\/.*\/images\//);
      const outcome = await t.client.finishTransfer(tr.id, { diskId: disk.id, direction: 'upload', timeoutMs: 10_000 });
      expect(outcome.confirmedBy).toBe(gen.confirmedBy);
      expect((await t.client.disk(disk.id))?.status).toBe('ok');
    });

    it('reports a failed engine verification and the disk is removed', async () => {
      const disk = await newDisk();
      const tr = await t.client.createTransfer({ diskId: disk.id, direction: 'upload', format: 'raw' });
      await t.client.waitForTransferReady(tr);
      sim.faults.failFinalizeVerification = true;
      const err = await t.client.finishTransfer(tr.id, { diskId: disk.id, direction: 'upload', timeoutMs: 10_000 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'verification-failed', retryable: false });
      // Before 4.2.4 the engine leaves the disk illegal (the uploader removes it); later ones delete it.
      if (gen.version === '4.1') expect((await t.client.disk(disk.id))?.status).toBe('illegal');
      else expect(await t.client.waitForDiskGone(disk.id, { timeoutMs: 10_000 })).toBe(true);
    });

    it('downloads: transfer ready, finalize confirmed, the disk unlocked again', async () => {
      const fedora = (await t.client.disks({ search: 'name=fedora-40-root' }))[0]!;
      const tr = await t.client.createTransfer({ diskId: fedora.id, direction: 'download', format: 'raw' });
      const ready = await t.client.waitForTransferReady(tr);
      expect(ready.direction).toBe('download');
      expect((await t.client.disk(fedora.id))?.status).toBe('locked');
      await t.client.finishTransfer(tr.id, { diskId: fedora.id, direction: 'download', timeoutMs: 10_000 });
      expect((await t.client.disk(fedora.id))?.status).toBe('ok');
    });

    it('keeps ticket URLs out of the log', async () => {
      const disk = await newDisk();
      const tr = await t.client.createTransfer({ diskId: disk.id, direction: 'upload' });
      const ready = await t.client.waitForTransferReady(tr);
      const ticket = /\/images\/([^/?]+)/.exec(ready.proxyUrl ?? '')?.[1];
      expect(ticket).toBeTruthy();
      expect(t.logLines.join('\n')).not.toContain(ticket!);
      await t.client.finishTransfer(tr.id, { diskId: disk.id, direction: 'upload' });
    });

    if (gen.hasCancel)
      it('cancelling an upload ends the transfer and the engine deletes the disk', async () => {
        const disk = await newDisk();
        const tr = await t.client.createTransfer({ diskId: disk.id, direction: 'upload', format: 'raw' });
        await t.client.waitForTransferReady(tr);
        const end = await t.client.cancelTransferAndWait(tr.id, { timeoutMs: 10_000 });
        expect(end.phase).toBe(gen.version === '4.5' ? 'finished_failure' : 'gone');
        expect(await t.client.waitForDiskGone(disk.id, { timeoutMs: 10_000 })).toBe(true);
      });
    else
      it('ends an upload with finalize on an engine without the cancel action; the disk stays for the caller to remove', async () => {
        const disk = await newDisk();
        const tr = await t.client.createTransfer({ diskId: disk.id, direction: 'upload', format: 'raw' });
        await t.client.waitForTransferReady(tr);
        const end = await t.client.cancelTransferAndWait(tr.id, { timeoutMs: 10_000 });
        expect(end.phase).toBe('gone');
        const actions = t.seen.filter((r) => r.method === 'POST' && r.path.startsWith(`/ovirt-engine/api/imagetransfers/${tr.id}/`)).map((r) => r.path.split('/').at(-1));
        expect(actions).toEqual(['finalize']);
        expect((await t.client.disk(disk.id))?.status).toMatch(/^(ok|illegal)$/);
        await t.client.deleteDisk(disk.id);
        expect(await t.client.waitForDiskGone(disk.id, { timeoutMs: 10_000 })).toBe(true);
      });
  });
}

describe('transfer edge cases on engine 4.5', () => {
  let sim: Simulator;
  let t: TestClient;
  beforeAll(async () => {
    sim = await startSimulator({ engineVersion: '4.5', fast: true });
    t = simClient(sim);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });
  const newDisk = async (name: string) => {
    const d = await t.client.createDisk({ name, provisionedSize: GiB, format: 'raw', sparse: true, storageDomain: { name: 'data-nfs' } });
    return t.client.waitForDiskOk(d.id, { timeoutMs: 10_000 });
  };

  it('resumes a transfer the engine paused while starting it', async () => {
    const disk = await newDisk('edge-resume');
    sim.faults.pausedSystemAtStart = true;
    try {
      const tr = await t.client.createTransfer({ diskId: disk.id, direction: 'upload', format: 'raw' });
      expect(tr.phase).toBe('paused_system');
      const ready = await t.client.waitForTransferReady(tr, { timeoutMs: 10_000 });
      expect(ready.phase).toBe('transferring');
      expect(t.seen.filter((r) => r.path === `/ovirt-engine/api/imagetransfers/${tr.id}/resume`)).toHaveLength(1);
      await t.client.finishTransfer(tr.id, { diskId: disk.id, direction: 'upload' });
    } finally {
      sim.faults.pausedSystemAtStart = false;
    }
  });

  it('gives up after the allowed number of resumes', async () => {
    const disk = await newDisk('edge-resume-limit');
    sim.faults.pausedSystemAtStart = true;
    try {
      const tr = await t.client.createTransfer({ diskId: disk.id, direction: 'upload', format: 'raw' });
      await expect(t.client.waitForTransferReady(tr, { maxResumes: 0 })).rejects.toMatchObject({ code: 'transfer-failed' });
      await t.client.cancelTransferAndWait(tr.id);
    } finally {
      sim.faults.pausedSystemAtStart = false;
    }
  });

  it('a second transfer of a disk is a conflict quoting the engine', async () => {
    const disk = await newDisk('edge-twice');
    const tr = await t.client.createTransfer({ diskId: disk.id, direction: 'upload' });
    const err = await t.client.createTransfer({ diskId: disk.id, direction: 'upload' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'conflict', status: 409 });
    expect((err as Error).message).toContain('edge-twice');
    // While the transfer holds it, the disk stays locked: waiting for ok times out.
    await expect(t.client.waitForDiskOk(disk.id, { timeoutMs: 60 })).rejects.toMatchObject({ code: 'timeout' });
    await t.client.finishTransfer(tr.id, { diskId: disk.id, direction: 'upload' });
  });

  it('refuses to download the disk of a running VM (vm-running: not a lock to wait for)', async () => {
    const running = (await t.client.disks({ search: 'name=vm-running-disk' }))[0]!;
    await expect(t.client.createTransfer({ diskId: running.id, direction: 'download', format: 'raw' })).rejects.toMatchObject({ code: 'vm-running', status: 409, retryable: false });
  });

  it('surfaces the engine refusing to pause a download', async () => {
    const fedora = (await t.client.disks({ search: 'name=fedora-40-root' }))[0]!;
    const tr = await t.client.createTransfer({ diskId: fedora.id, direction: 'download', format: 'raw' });
    await t.client.waitForTransferReady(tr);
    await expect(t.client.pauseTransfer(tr.id)).rejects.toMatchObject({ code: 'engine-fault', status: 400 });
    await t.client.finishTransfer(tr.id, { diskId: fedora.id, direction: 'download' });
  });

  it('reads an unknown transfer as null although its actions answer 200', async () => {
    const id = '0b8c9b52-0000-4000-8000-000000000000';
    await t.client.extendTransfer(id);
    expect(await t.client.transfer(id)).toBeNull();
  });

  it('needs exactly one transfer target', async () => {
    await expect(t.client.createTransfer({ direction: 'upload' })).rejects.toMatchObject({ code: 'bad-input' });
    await expect(t.client.createTransfer({ diskId: 'a', snapshotId: 'b', direction: 'download' })).rejects.toMatchObject({ code: 'bad-input' });
  });
});
