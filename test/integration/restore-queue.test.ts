/**
 * A restore as a queue job, against the simulator (4.5): a running VM backed up by the engine's
 * backup run, its disk written to after, then the run restored by a queued job — an upload job that
 * carries its origin — into a new disk attached to the VM. The new disk holds the VM's disk as it was
 * at backup time (`qemu-img compare`), the report lists a restore. After a crash: a restore whose upload
 * the engine still holds is continued, one whose upload finished before the crash is only attached,
 * and one already attached is not attached again.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupVm, type BackupResult } from '../../main/engine/backup/backup-run.js';
import { planRestore, restoreOrigin, restoreUpload } from '../../main/engine/backup/restore.js';
import type { NewJob } from '../../main/engine/queue/job.js';
import { MemoryQueueStore } from '../../main/engine/queue/store.js';
import { canRetarget } from '../../main/engine/queue/retarget.js';
import { uploadImage } from '../../main/engine/transfer/upload-image.js';
import { MiB, startHarness, TUNING, type Harness } from './helpers.js';
import { crashedQueue, openSimQueue, runToEnd } from './queue-helpers.js';

const qemuImg = promisify(execFile);

describe('restore jobs in the queue', () => {
  let h: Harness;
  let vm: { id: string; name: string };
  let other: { id: string; name: string };
  let cow: string;
  let backup: BackupResult;
  let atBackup: string;
  let n = 0;

  beforeAll(async () => {
    h = await startHarness('4.5');
    const d = await h.client.createDisk({ name: 'rq-cow', provisionedSize: 32 * MiB, format: 'cow', sparse: true, storageDomain: { name: 'data-nfs' } });
    await h.client.waitForDiskOk(d.id);
    cow = d.id;
    const v = h.sim.engine.vms.create({ name: 'rq-vm', status: 'up', disks: [cow] });
    vm = { id: v.id, name: v.name };
    const o = h.sim.engine.vms.create({ name: 'rq-other', status: 'down', disks: [] });
    other = { id: o.id, name: o.name };
    await h.sim.engine.vms.write(cow, 0, randomBytes(3 * MiB + 7));
    await h.sim.engine.vms.write(cow, 20 * MiB, randomBytes(MiB));
    const out = join(h.dir, 'backups');
    await mkdir(out);
    backup = await backupVm(h.deps, { vm: vm.name, outputDir: out, mode: 'full' }, { tuning: TUNING });
    atBackup = await guestCopy(cow, 'at-backup');
    // The VM goes on writing: the restore must bring back the disk as it was at backup time.
    await h.sim.engine.vms.write(cow, MiB, randomBytes(2 * MiB));
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  /** A disk's guest view now, as a raw file. */
  async function guestCopy(diskId: string, name: string): Promise<string> {
    const image = h.sim.images.get(diskId)!;
    const path = join(h.dir, `${name}-${++n}.raw`);
    await writeFile(path, await image.read(0, image.size));
    return path;
  }

  /** The restore job of the backup's one disk, as `queue add restore` and the window make it. */
  async function restoreJob(name: string, attach: string | undefined): Promise<NewJob> {
    const plan = await planRestore(h.deps, { source: backup.runDir, storageDomain: 'data-nfs', name, ...(attach ? { attachVm: attach } : {}) });
    const item = plan.items[0]!;
    return { kind: 'upload', engine: 'sim', label: item.diskName, storageDomainKey: plan.domain.id, upload: restoreUpload(plan, item), restore: restoreOrigin(plan, item) };
  }



  const vmDisks = (id: string) => h.sim.engine.state.vms.get(id)!.diskIds;

  it('restores a backup run through the queue into a new disk attached to the VM, as the disk was at backup time', async () => {
    const { q } = await openSimQueue(h);
    const [job] = await q.add([await restoreJob('rq-restored', vm.name)]);
    q.start();
    const report = await q.whenIdle();
    const done = q.get(job!.id);
    await q.close();
    expect(done.state, done.error?.message).toBe('completed');
    expect(done.kind === 'upload' && done.restore).toMatchObject({ run: backup.runDir, runKind: 'full', vm, backupDisk: { id: cow, alias: 'rq-cow' }, attachVm: vm });
    const diskId = done.result!.diskId;
    expect(h.sim.engine.state.disks.get(diskId)).toMatchObject({ name: 'rq-restored' });
    expect(h.sim.engine.state.disks.get(diskId)!.description).toMatch(/^Restored by DiskFerry from the full backup \d{8}T\d{6}Z-full of VM rq-vm, disk rq-cow \[diskferry job /);
    expect(vmDisks(vm.id)).toContain(diskId);
    expect(done.notes).toEqual(expect.arrayContaining(['The restored data matches the checksum the backup recorded for disk rq-cow.', 'Attached to VM rq-vm.']));
    await qemuImg('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', atBackup, await guestCopy(diskId, 'restored')]);
    // The VM's disk has changed since: the restore is the backup's point in time, not now.
    await expect(qemuImg('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', await guestCopy(cow, 'now'), await guestCopy(diskId, 'restored')])).rejects.toThrow();
    const row = report!.rows.find((r) => r.jobId === done.id)!;
    expect(row).toMatchObject({ kind: 'restore', outcome: 'completed', verified: true, target: expect.stringContaining(`rq-restored (${diskId})`) });
    expect(row.source).toMatch(/^disk rq-cow of VM rq-vm, backup 20\d\d-.*: .*rq-cow-[0-9a-f]{8}\.qcow2$/);
  }, 60_000);

  it('a VM that is gone fails the job in words and keeps the restored disk; a retry only attaches', async () => {
    const gone = h.sim.engine.vms.create({ name: 'rq-gone', status: 'down', disks: [] });
    const spec = await restoreJob('rq-to-gone', gone.id);
    const kept = h.sim.engine.state.vms.get(gone.id)!;
    h.sim.engine.state.vms.delete(gone.id);
    const { q } = await openSimQueue(h);
    const [job] = await q.add([spec]);
    q.start();
    await q.whenIdle();
    const failed = q.get(job!.id);
    expect(failed.state).toBe('failed');
    expect(failed.error?.message).toMatch(/The VM to attach the restored disk to \(.*\) is gone from the engine\. The restored disk .* is kept/);
    expect(h.sim.engine.state.disks.get(failed.diskId!)?.status).toBe('ok');
    // A copy of the job removed from the queue keeps the restored disk, as the error said.
    const { q: other } = await openSimQueue(h, {}, {}, new MemoryQueueStore({ version: 1, jobs: [{ ...failed, id: `${failed.id.slice(0, -4)}ffff` }], reports: [] }));
    await other.remove(`${failed.id.slice(0, -4)}ffff`);
    await other.close();
    expect(h.sim.engine.state.disks.get(failed.diskId!)?.status).toBe('ok');
    // Changing where it goes would upload a second disk beside the kept one: not offered, and refused in words.
    if (spec.kind !== 'upload') throw new Error('a restore job is an upload');
    const disks = h.sim.engine.state.disks.size;
    expect(canRetarget(failed)).toBe(false);
    await expect(q.retarget(job!.id, { kind: 'upload', upload: { ...spec.upload, diskName: 'rq-elsewhere' }, storageDomainKey: spec.storageDomainKey ?? null })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/^rq-to-gone is already restored on the engine \(disk .+\); only attaching it failed\. Retry attaches that disk without uploading it again\./),
    });
    expect(h.sim.engine.state.disks.size).toBe(disks);
    expect(q.get(job!.id)).toMatchObject({ state: 'failed', diskId: failed.diskId });
    // The VM is back (say, restored by its owner): a retry sends nothing again and only attaches.
    h.sim.engine.state.vms.set(gone.id, kept);
    q.retry(job!.id);
    await q.whenIdle();
    const retried = q.get(job!.id);
    await q.close();
    expect(retried.state, retried.error?.message).toBe('completed');
    expect(retried.result!.diskId).toBe(failed.diskId);
    expect(retried.notes).toEqual(expect.arrayContaining(['The engine had finished this upload before DiskFerry stopped; nothing was sent again.', 'Attached to VM rq-gone.']));
    expect(vmDisks(gone.id)).toEqual([failed.diskId]);
  }, 60_000);

  it('after a crash in the middle of the upload: the upload continues on its disk, is checked against the backup, then attached', async () => {
    const spec = (await restoreJob('rq-crash-mid', other.name)) as NewJob & { kind: 'upload' };
    // What a run killed while sending leaves: the job's disk and its transfer, paused by the engine.
    const disk = await h.client.createDisk({ name: 'rq-crash-mid', provisionedSize: 32 * MiB, format: 'cow', sparse: true, storageDomain: { name: 'data-nfs' } });
    await h.client.waitForDiskOk(disk.id);
    const t = await h.client.createTransfer({ diskId: disk.id, direction: 'upload', format: 'raw' });
    await h.client.waitForTransferReady(t.id, { timeoutMs: 10_000 });
    await h.client.pauseTransfer(t.id);
    const a = crashedQueue(spec, { diskId: disk.id, transferId: t.id });
    const job = await runToEnd(h, a.store, a.id);
    expect(job.state, job.error?.message).toBe('completed');
    expect(job.result!.diskId).toBe(disk.id);
    expect(job.notes.some((x) => x.startsWith(`Continued transfer ${t.id} of disk ${disk.id} after an interruption`))).toBe(true);
    expect(job.notes).toEqual(expect.arrayContaining(['The restored data matches the checksum the backup recorded for disk rq-cow.', 'Attached to VM rq-other.']));
    expect(vmDisks(other.id).filter((d) => d === disk.id)).toHaveLength(1);
    await qemuImg('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', atBackup, await guestCopy(disk.id, 'crash-mid')]);
  }, 60_000);

  it('after a crash once the engine finished the upload: the disk is kept and only attached, and never twice', async () => {
    const spec = (await restoreJob('rq-crash-done', other.name)) as NewJob & { kind: 'upload' };
    let transferId: string | null = null;
    const r = await uploadImage(h.deps, { ...spec.upload, description: 'restored' }, { tuning: TUNING, onCreated: (ids) => void (transferId = ids.transferId ?? transferId) });
    const a = crashedQueue(spec, { state: 'finalizing', diskId: r.diskId, transferId, finalizing: true });
    const job = await runToEnd(h, a.store, a.id);
    expect(job.state, job.error?.message).toBe('completed');
    expect(job.result!.diskId).toBe(r.diskId);
    expect(vmDisks(other.id).filter((d) => d === r.diskId)).toHaveLength(1);
    expect(job.notes).toEqual(expect.arrayContaining(['Attached to VM rq-other.']));

    // Killed after the attach, before the queue recorded the end: the next run does not attach again.
    const b = crashedQueue(spec, { state: 'finalizing', diskId: r.diskId, transferId, finalizing: true });
    const again = await runToEnd(h, b.store, b.id);
    expect(again.state, again.error?.message).toBe('completed');
    expect(again.notes).toEqual(expect.arrayContaining(['VM rq-other already had the restored disk attached; it was not attached again.']));
    expect(vmDisks(other.id).filter((d) => d === r.diskId)).toHaveLength(1);
    await qemuImg('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', atBackup, await guestCopy(r.diskId, 'crash-done')]);
  }, 60_000);
});
