/**
 * The engine client's backup, checkpoint and snapshot calls against the simulator: 4.4 (legacy) and
 * 4.5 (hybrid), a full and an incremental backup with a guest write between them, a refused
 * checkpoint, checkpoint removal, a snapshot and its volume, and what 4.3 cannot do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiskFerryError } from '../../../main/engine/errors.js';
import { isCheckpointRejected } from '../../../main/engine/ovirt/vm-backups.js';
import { startSimulator, type Simulator } from '../../../main/simulator/simulator.js';
import { simClient, type TestClient } from './sim-helpers.js';

const MiB = 1024 * 1024;

async function vmWithDisks(sim: Simulator, t: TestClient, name: string): Promise<{ vmId: string; cow: string; raw: string }> {
  const sd = { name: 'data-nfs' };
  const cow = await t.client.createDisk({ name: `${name}-cow`, provisionedSize: 32 * MiB, format: 'cow', sparse: true, storageDomain: sd });
  const raw = await t.client.createDisk({ name: `${name}-raw`, provisionedSize: 8 * MiB, format: 'raw', sparse: true, storageDomain: sd });
  await t.client.waitForDiskOk(cow.id);
  await t.client.waitForDiskOk(raw.id);
  const vm = sim.engine.vms.create({ name, status: 'up', disks: [cow.id, raw.id] });
  await sim.engine.vms.write(cow.id, 0, Buffer.alloc(MiB, 1));
  return { vmId: vm.id, cow: cow.id, raw: raw.id };
}

describe.each(['4.4', '4.5'] as const)('VM backups on engine %s', (version) => {
  let sim: Simulator;
  let t: TestClient;
  beforeAll(async () => {
    sim = await startSimulator({ engineVersion: version, fast: true, seed: false });
    t = simClient(sim);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  it('a full backup, a guest write, an incremental one: modes, checkpoints, transfers and finalize', async () => {
    const { vmId, cow, raw } = await vmWithDisks(sim, t, 'client-vm');
    const backups = t.client.backups;
    expect(await backups.vm(vmId)).toMatchObject({ id: vmId, name: 'client-vm', status: 'up', hostId: expect.any(String) });
    expect(await backups.vm('00000000-0000-0000-0000-000000000000')).toBeNull();

    const full = await backups.startBackup(vmId, { diskIds: [cow, raw], description: 'nightly' });
    expect(full.phase).toBe(version === '4.5' ? 'starting' : 'initializing');
    expect(full.snapshotId === null).toBe(version === '4.4');
    const ready = await backups.waitForBackupReady(vmId, full.id, { timeoutMs: 10_000 });
    expect(ready.toCheckpointId).toEqual(expect.any(String));
    expect((await backups.backupDisks(vmId, full.id)).map((d) => [d.id, d.format, d.backupMode])).toEqual([
      [cow, 'cow', 'full'],
      [raw, 'raw', 'full'],
    ]);
    const tr = await t.client.createTransfer({ diskId: cow, backupId: full.id, direction: 'download', format: 'raw' });
    const body = JSON.parse(t.seen[t.seen.length - 1]!.body!) as Record<string, unknown>;
    expect(body['backup']).toEqual({ id: full.id });
    await t.client.waitForTransferReady(tr, { timeoutMs: 10_000 });
    await t.client.finalizeTransfer(tr.id);
    await expect.poll(async () => (await t.client.transfer(tr.id))?.phase, { timeout: 5000 }).toBe('finished_success');
    await backups.finalizeBackup(vmId, full.id);
    await backups.finalizeBackup(vmId, full.id); // asking again while it ends is fine
    expect(await backups.waitForBackupEnd(vmId, full.id, { timeoutMs: 10_000 })).toBe('succeeded');

    await sim.engine.vms.write(cow, 4 * MiB, Buffer.alloc(MiB, 2));
    const inc = await backups.startBackup(vmId, { diskIds: [cow, raw], fromCheckpointId: ready.toCheckpointId! });
    const incReady = await backups.waitForBackupReady(vmId, inc.id, { timeoutMs: 10_000 });
    expect(incReady.fromCheckpointId).toBe(ready.toCheckpointId);
    expect((await backups.backupDisks(vmId, inc.id)).map((d) => d.backupMode)).toEqual(['incremental', 'full']);
    await backups.finalizeBackup(vmId, inc.id);
    expect(await backups.waitForBackupEnd(vmId, inc.id, { timeoutMs: 10_000 })).toBe('succeeded');
    expect((await backups.backups(vmId)).map((b) => b.phase)).toEqual(['succeeded', 'succeeded']);

    const chain = await backups.checkpoints(vmId);
    expect(chain.map((c) => [c.id, c.parentId, c.state])).toEqual([
      [ready.toCheckpointId, null, 'created'],
      [incReady.toCheckpointId, ready.toCheckpointId, 'created'],
    ]);
    await backups.deleteCheckpoint(vmId, chain[0]!.id);
    expect(await backups.waitForCheckpointGone(vmId, chain[0]!.id, { timeoutMs: 5000 })).toBe(true);

    const refused = await backups.startBackup(vmId, { diskIds: [cow], fromCheckpointId: chain[0]!.id }).catch((e: unknown) => e);
    expect(isCheckpointRejected(refused)).toBe(true);
    expect((refused as DiskFerryError).message).toContain(`Checkpoint ID ${chain[0]!.id} doesn't exist`);
  });

  it('one backup at a time: the second start says a backup is running', async () => {
    const { vmId, cow } = await vmWithDisks(sim, t, 'busy-vm');
    const b = await t.client.backups.startBackup(vmId, { diskIds: [cow] });
    await t.client.backups.waitForBackupReady(vmId, b.id, { timeoutMs: 10_000 });
    if (version === '4.5') {
      // Hybrid leaves the disks unlocked, so the engine's "during a backup" check answers.
      const err = await t.client.backups.startBackup(vmId, { diskIds: [cow] }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'conflict', status: 409 });
      expect((err as Error).message).toMatch(/during a backup operation.*wait until it has ended \(or finalize it\)/);
    }
    const snap = await t.client.backups.createSnapshot(vmId, { description: 'x' }).catch((e: unknown) => e);
    expect(snap).toMatchObject({ code: 'conflict' });
    await t.client.backups.finalizeBackup(vmId, b.id);
    await t.client.backups.waitForBackupEnd(vmId, b.id, { timeoutMs: 10_000 });
  });

  it('a disk-only snapshot: wait for ok, its volume, a shallow download, removal', async () => {
    const { vmId, cow } = await vmWithDisks(sim, t, 'snap-vm');
    const backups = t.client.backups;
    const s = await backups.createSnapshot(vmId, { description: 'bk-snap', diskIds: [cow] });
    const sent = JSON.parse(t.seen[t.seen.length - 1]!.body!) as Record<string, unknown>;
    expect(sent).toEqual({ description: 'bk-snap', persist_memorystate: false, disk_attachments: { disk_attachment: [{ disk: { id: cow } }] } });
    expect(s.status).toBe('locked');
    expect((await backups.waitForSnapshotReady(vmId, s.id, { timeoutMs: 5000 })).status).toBe('ok');
    const disks = await backups.snapshotDisks(vmId, s.id);
    expect(disks.map((d) => d.diskId)).toEqual([cow]);
    const chain = await backups.diskSnapshots(cow, { includeActive: true });
    expect(chain.map((v) => v.volumeId)[0]).toBe(disks[0]!.volumeId);
    expect(chain).toHaveLength(2);
    expect(chain[1]!.parentId).toBe(disks[0]!.volumeId);

    const tr = await t.client.createTransfer({ snapshotId: disks[0]!.volumeId, direction: 'download', format: 'raw', shallow: true });
    await t.client.waitForTransferReady(tr, { timeoutMs: 10_000 });
    await t.client.finalizeTransfer(tr.id);
    await expect.poll(async () => (await t.client.transfer(tr.id))?.phase, { timeout: 5000 }).toBe('finished_success');
    await backups.deleteSnapshot(vmId, s.id);
    expect(await backups.waitForSnapshotGone(vmId, s.id, { timeoutMs: 5000 })).toBe(true);
    expect(await backups.diskSnapshots(cow)).toEqual([]);
  });
});

describe('VM backups on engine 4.3', () => {
  let sim: Simulator;
  let t: TestClient;
  beforeAll(async () => {
    sim = await startSimulator({ engineVersion: '4.3', fast: true, seed: false });
    t = simClient(sim);
  });
  afterAll(async () => {
    await t?.close();
    await sim?.close();
  });

  it('no checkpoints, no incremental backups, no per-disk snapshot list', async () => {
    const vm = sim.engine.vms.create({ name: 'old', status: 'up' });
    expect(await t.client.backups.checkpoints(vm.id)).toEqual([]);
    await expect(t.client.backups.startBackup(vm.id, { diskIds: ['d'], fromCheckpointId: 'c' })).rejects.toMatchObject({ code: 'bad-input', message: expect.stringContaining('oVirt 4.4') });
    await expect(t.client.backups.diskSnapshots('d')).rejects.toMatchObject({ code: 'bad-input' });
    await expect(t.client.backups.startBackup(vm.id, { diskIds: [] })).rejects.toMatchObject({ code: 'bad-input' });
  });
});
