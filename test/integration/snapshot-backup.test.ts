/**
 * Snapshot backups on an engine without the backup API (4.3): a running VM's disks downloaded from a
 * disk-only snapshot as the disk was when it was taken (a guest write during the download is not in
 * the copy), a run folder with its manifest, and the snapshot always removed — after success, after a
 * failure midway, and after a crash (a dead run's pending record) at the next run. The run restores
 * into a new disk equal to the VM's disk at the snapshot (`qemu-img compare`).
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../main/engine/backup/manifest.js';
import { planRestore, restoreDisk } from '../../main/engine/backup/restore.js';
import { PendingSnapshots } from '../../main/engine/backup/snapshot-pending.js';
import { runSnapshotBackup } from '../../main/engine/backup/snapshot-run.js';
import { TransferControl } from '../../main/engine/transfer/control.js';
import { uploadImage } from '../../main/engine/transfer/upload-image.js';
import { qemuCheck, qemuCompare } from '../engine/image/qcow2-fixtures.js';
import { makeSparseImage, MiB, startHarness, TUNING, type Harness } from './helpers.js';

const SIZE = 64 * MiB;

/** Writes the simulator's volume of a disk into a sparse raw file (the disk's guest view now). */
async function dumpDisk(h: Harness, diskId: string, path: string): Promise<void> {
  const image = h.sim.images.get(diskId)!;
  const chunks: Array<{ at: number; data: Buffer }> = [];
  for (let at = 0; at < image.size; at += 4 * MiB) {
    const data = Buffer.from(await image.read(at, Math.min(4 * MiB, image.size - at)));
    if (data.some((b) => b !== 0)) chunks.push({ at, data });
  }
  const { open } = await import('node:fs/promises');
  const fh = await open(path, 'w');
  try {
    for (const c of chunks) await fh.write(c.data, 0, c.data.length, c.at);
    await fh.truncate(image.size);
  } finally {
    await fh.close();
  }
}

describe('snapshot backup of a running VM on 4.3', () => {
  let h: Harness;
  let diskId: string;
  let pendingDir: string;
  const regularSnapshots = (vmName: string) => [...h.sim.engine.state.snapshots.values()].filter((s) => s.vmId === [...h.sim.engine.state.vms.values()].find((v) => v.name === vmName)!.id);
  const openTransfers = () => [...h.sim.engine.state.transfers.values()].filter((t) => !/^finished_/.test(t.phase));

  beforeAll(async () => {
    h = await startHarness('4.3');
    pendingDir = join(h.dir, 'pending');
    const src = join(h.dir, 'vm-disk.raw');
    await makeSparseImage(src, SIZE, [{ start: 0, length: 3 * MiB }, { start: 20 * MiB, length: 5 * MiB }, { start: 60 * MiB, length: 1 * MiB }]);
    diskId = (await uploadImage(h.deps, { path: src, storageDomain: 'data-nfs', diskName: 'snapvm-disk0', diskFormat: 'cow' }, { tuning: TUNING })).diskId;
    h.sim.engine.vms.create({ name: 'snapvm', status: 'up', disks: [diskId] });
    await h.sim.engine.vms.write(diskId, 40 * MiB, Buffer.alloc(2 * MiB, 0x5a));
  });
  afterAll(async () => {
    await h?.close();
  });

  it('downloads the disks as they were at the snapshot, writes the manifest, removes the snapshot; the restore equals the disk then', async () => {
    const atSnapshot = join(h.dir, 'at-snapshot.raw');
    await dumpDisk(h, diskId, atSnapshot);
    const out = join(h.dir, 'backups');
    let wrote = false;
    const r = await runSnapshotBackup(h.deps, {
      vm: 'snapvm',
      output: out,
      pendingDir,
      tuning: TUNING,
      // The guest keeps writing while its snapshot is downloaded: the copy must not see it.
      onProgress: () => {
        if (wrote) return;
        wrote = true;
        void h.sim.engine.vms.write(diskId, 0, Buffer.alloc(MiB, 0xee));
      },
    });
    expect(wrote).toBe(true);
    // The guest's write reached the disk, not the copy.
    expect(Buffer.from(await h.sim.images.get(diskId)!.read(0, 16)).every((b) => b === 0xee)).toBe(true);
    expect(regularSnapshots('snapvm')).toEqual([]);
    expect(await readdir(pendingDir)).toEqual([]);
    expect(openTransfers()).toEqual([]);
    const manifest = (await readManifest(r.runDir))!;
    expect(manifest).toMatchObject({ kind: 'snapshot', vm: { name: 'snapvm' }, backupId: null, parentRun: null, engine: { version: expect.stringMatching(/^4\.3/) } });
    expect(r.runDir).toMatch(/snapvm-[0-9a-f]{8}[/\\]\d{8}T\d{6}Z-snapshot$/);
    expect(manifest.snapshotId).toMatch(/[0-9a-f-]{36}/);
    expect(manifest.disks).toEqual([expect.objectContaining({ id: diskId, alias: 'snapvm-disk0', file: `snapvm-disk0-${diskId.slice(0, 8)}.qcow2`, mode: 'snapshot', backingFile: null, virtualSize: SIZE })]);
    const file = join(r.runDir, manifest.disks[0]!.file);
    expect(await qemuCheck(file)).toMatch(/No errors were found/);
    await qemuCompare(file, atSnapshot);

    // Restore it into a new disk: the disk as it was at the snapshot.
    const plan = await planRestore(h.deps, { source: r.runDir, storageDomain: 'data-nfs' });
    const restored = await restoreDisk(h.deps, plan, plan.items[0]!, { tuning: TUNING });
    expect(restored.upload.verified).toBeNull(); // 4.3's imageio has no checksum
    const now = join(h.dir, 'restored.raw');
    await dumpDisk(h, restored.upload.diskId, now);
    await qemuCompare(now, atSnapshot);
    expect(restored.upload.diskName).toBe(`snapvm-disk0-${r.runDir.slice(-25, -9)}`);
  });

  it('removes the snapshot and the run folder when the download fails midway', async () => {
    const out = join(h.dir, 'backups-failed');
    // Once data flows, the ticket keeps expiring: after its ticket recoveries the download gives up.
    const err = await runSnapshotBackup(h.deps, {
      vm: 'snapvm',
      output: out,
      pendingDir,
      tuning: TUNING,
      onProgress: (_disk, p) => {
        if (p.state === 'transferring') h.sim.faults.expireTicket = true;
      },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    h.resetFaults();
    expect(err).toMatchObject({ message: expect.stringMatching(/did not complete; its run folder was removed\. The snapshot was removed\./) });
    expect(regularSnapshots('snapvm')).toEqual([]);
    expect(await readdir(pendingDir)).toEqual([]);
    expect(await readdir(join(out, (await readdir(out))[0]!))).toEqual([]);
    expect(openTransfers()).toEqual([]);
  });

  it('a cancel midway removes the snapshot too', async () => {
    const control = new TransferControl();
    const err = await runSnapshotBackup(h.deps, { vm: 'snapvm', output: join(h.dir, 'backups-cancelled'), pendingDir, tuning: TUNING, control, onProgress: () => control.cancel() }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'cancelled', message: expect.stringMatching(/The snapshot was removed\./) });
    expect(regularSnapshots('snapvm')).toEqual([]);
    expect(openTransfers()).toEqual([]);
  });

  it('removes at the next run the snapshots a killed run left, by id or by its description', async () => {
    const vm = [...h.sim.engine.state.vms.values()].find((v) => v.name === 'snapvm')!;
    const byId = await h.client.backups.createSnapshot(vm.id, { description: 'DiskFerry backup killed-1', diskIds: [diskId] });
    await h.client.backups.waitForSnapshotReady(vm.id, byId.id, { timeoutMs: 20_000 });
    const byName = await h.client.backups.createSnapshot(vm.id, { description: 'DiskFerry backup killed-2', diskIds: [diskId] });
    await h.client.backups.waitForSnapshotReady(vm.id, byName.id, { timeoutMs: 20_000 });
    // A process that has ended: what a kill -9 leaves behind.
    const dead = await new Promise<number>((resolve) => {
      const child = execFile('true', () => resolve(child.pid!));
    });
    await promisify(setTimeout)(50);
    const pending = new PendingSnapshots(pendingDir);
    await mkdir(pendingDir, { recursive: true });
    const common = { engine: h.client.engineHost, vmId: vm.id, vmName: vm.name, runDir: join(h.dir, 'gone') };
    await pending.write({ ...pending.create({ ...common, description: 'DiskFerry backup killed-1' }), snapshotId: byId.id, pid: dead });
    await pending.write({ ...pending.create({ ...common, description: 'DiskFerry backup killed-2' }), pid: dead }); // killed before the engine answered
    // A record of a live run is left alone.
    await pending.write({ ...pending.create({ ...common, description: 'DiskFerry backup still-running' }), pid: process.ppid });
    expect(regularSnapshots('snapvm')).toHaveLength(2);

    const r = await runSnapshotBackup(h.deps, { vm: vm.id, output: join(h.dir, 'backups-after-kill'), pendingDir, tuning: TUNING });
    expect(r.notes).toEqual([
      expect.stringMatching(/removed the snapshot 'DiskFerry backup killed-1' of VM snapvm that an interrupted backup \(process \d+\) left/),
      expect.stringMatching(/removed the snapshot 'DiskFerry backup killed-2'/),
    ]);
    expect(regularSnapshots('snapvm')).toEqual([]);
    expect((await pending.list()).map((p) => p.description)).toEqual(['DiskFerry backup still-running']);
  });
});
