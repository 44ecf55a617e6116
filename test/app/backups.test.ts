/**
 * The window's backups through the app core's handlers against the simulator: the VM list with the
 * last backup in the engine's backup folder, the plan (kind per VM and why, what cannot work), the
 * backup job in the queue with its disks, and the snapshot path on an engine without checkpoints.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransferView } from '../../shared/ipc.js';
import { MiB } from '../integration/helpers.js';
import { addSimDisk } from '../integration/queue-helpers.js';
import { startCore, until, type CoreHarness } from './helpers.js';

/** A running VM with one qcow2 disk (data in it), made in the simulator. */
async function runningVm(h: CoreHarness, name: string): Promise<{ id: string; name: string; disk: string }> {
  const disk = await addSimDisk(h.sim, `${name}-disk`, 16 * MiB, [{ start: 0, length: 2 * MiB }]);
  h.sim.engine.state.disks.get(disk)!.format = 'cow';
  const vm = h.sim.engine.vms.create({ name, status: 'up', disks: [disk] });
  return { id: vm.id, name: vm.name, disk };
}

function helpers(h: () => CoreHarness) {
  const view = (id: string): TransferView => {
    const t = h().snapshot('transfers:changed').transfers.find((x) => x.id === id);
    if (!t) throw new Error(`no transfer ${id}`);
    return t;
  };
  const settled = (id: string) => until(() => ['completed', 'failed', 'cancelled'].includes(view(id).state), 60_000, `backup ${id} to end`);
  return { view, settled };
}

describe('app core: backups of VMs on 4.5', () => {
  let h: CoreHarness;
  let engineId: string;
  let vm: { id: string; name: string; disk: string };
  let folder: string;
  const { view, settled } = helpers(() => h);
  beforeAll(async () => {
    h = await startCore();
    engineId = (await h.call('engines:demo', undefined)).id;
    vm = await runningVm(h, 'nightly-01');
    folder = join(h.dir, 'backups');
    await mkdir(folder);
  }, 60_000);
  afterAll(async () => {
    await h.close();
  });

  it('lists the VMs with their status and disks, and no backup before a folder is chosen', async () => {
    const list = await h.call('vms:list', undefined);
    expect(list.backupFolder).toBeNull();
    expect(list.vms.find((v) => v.name === 'app-01')).toMatchObject({ status: 'up', disks: [{ name: 'vm-running-disk', provisionedSize: 1024 * MiB, backupable: true }], lastBackup: null });
    expect(list.vms.find((v) => v.name === 'web-01')).toMatchObject({ status: 'down', disks: [{ name: 'web-01-disk1' }] });
    expect(list.vms.find((v) => v.id === vm.id)).toMatchObject({ name: vm.name, status: 'up', disks: [{ id: vm.disk, provisionedSize: 16 * MiB }] });
  });

  it('refreshes the disk list and the VM list with one read of the engine’s VMs', async () => {
    const counts = h.sim.engine.requestCounts;
    const vmsRead = () => counts.get('GET /ovirt-engine/api/vms') ?? 0;
    const before = vmsRead();
    const [disks, list] = await Promise.all([h.call('catalog:disks', {}), h.call('vms:list', undefined)]);
    expect(disks.some((d) => d.name === 'vm-running-disk' && d.vmNames?.includes('app-01') === true)).toBe(true);
    expect(list.vms.some((v) => v.name === 'app-01')).toBe(true);
    expect(vmsRead() - before).toBe(1);
    // A read that has ended is not reused: the next refresh asks the engine again.
    await h.call('vms:list', undefined);
    expect(vmsRead() - before).toBe(2);
  });

  it('plans each VM: its disks and sizes, the kind and why; refuses a folder it cannot use and an incremental without a base', async () => {
    const plan = await h.call('backups:plan', { vmIds: [vm.id], folder, mode: 'auto', snapshot: false });
    expect(plan).toMatchObject({ snapshot: false, snapshotForced: false, engineVersion: expect.stringMatching(/^4\.5/) });
    expect(plan.items).toEqual([
      { vmId: vm.id, vmName: vm.name, status: 'up', disks: [{ id: vm.disk, name: `${vm.name}-disk`, size: 16 * MiB }], skipped: [], kind: 'full', reason: 'no-previous', parentRun: null, refusal: null, error: null },
    ]);
    const missing = await h.call('backups:plan', { vmIds: [vm.id], folder: join(h.dir, 'no-such-folder'), mode: 'auto', snapshot: false });
    expect(missing.items[0]).toMatchObject({ kind: null, refusal: 'folder', error: { code: 'bad-input', message: expect.stringMatching(/is not an existing folder/) } });
    const relative = await h.call('backups:plan', { vmIds: [vm.id], folder: 'backups', mode: 'auto', snapshot: false });
    expect(relative.items[0]).toMatchObject({ refusal: 'folder', error: { message: expect.stringMatching(/full folder path/) } });
    const incremental = await h.call('backups:plan', { vmIds: [vm.id], folder, mode: 'incremental', snapshot: false });
    expect(incremental.items[0]).toMatchObject({ kind: null, refusal: 'no-base', error: { message: expect.stringMatching(/no earlier backup of VM 'nightly-01'.*Run a full backup first/) } });
    const gone = await h.call('backups:plan', { vmIds: ['no-such-vm'], folder, mode: 'auto', snapshot: false });
    expect(gone.items[0]).toMatchObject({ refusal: 'not-found', error: { code: 'not-found' } });
    // What the plan refuses, `backups:add` refuses in the same words, and queues nothing.
    const refused = await h.invoke('backups:add', { vmIds: [vm.id], folder, mode: 'incremental', snapshot: false, keep: null, start: 'now' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'bad-input', message: expect.stringMatching(/Run a full backup first/) } });
    expect(h.snapshot('transfers:changed').transfers).toHaveLength(0);
  });

  it('runs a backup as one job with its disks, remembers the folder, and the next plan is incremental on it', async () => {
    const added = await h.call('backups:add', { vmIds: [vm.id], folder, mode: 'full', snapshot: false, keep: 3, start: 'now' });
    expect(added.skipped).toEqual([]);
    const id = added.queued[0]!.id;
    expect(added.queued[0]!.backup).toMatchObject({ vmId: vm.id, vmName: vm.name, mode: 'full', kind: 'full', runDir: null, disks: [{ id: vm.disk, name: `${vm.name}-disk`, size: 16 * MiB }] });
    expect(h.core.currentSettings().backupFolder[engineId]).toBe(folder);
    await settled(id);
    const done = view(id);
    expect(done.state, JSON.stringify(done.error)).toBe('completed');
    expect(done.backup).toMatchObject({ kind: 'full', runDir: expect.stringMatching(/-full$/), disks: [{ id: vm.disk, state: 'done', mode: 'full', bytesDone: 16 * MiB }] });
    expect(done.backup!.disks[0]!.dataBytes).toBeGreaterThanOrEqual(2 * MiB);
    // The history row's reveal shows the run folder, which holds the manifest.
    expect(done.localPath).toBe(done.backup!.runDir);
    expect((await h.call('transfers:reveal', { id })).path).toBe(done.backup!.runDir);
    const manifest = JSON.parse(await readFile(join(done.backup!.runDir!, 'manifest.json'), 'utf8')) as { kind: string; vm: { id: string } };
    expect(manifest).toMatchObject({ kind: 'full', vm: { id: vm.id } });

    const list = await h.call('vms:list', undefined);
    expect(list.backupFolder).toBe(folder);
    expect(list.vms.find((v) => v.id === vm.id)!.lastBackup).toMatchObject({ kind: 'full', run: done.backup!.runDir!.split('/').pop() });

    await h.sim.engine.vms.write(vm.disk, 4 * MiB, randomBytes(MiB));
    const next = await h.call('backups:plan', { vmIds: [vm.id], folder, mode: 'auto', snapshot: false });
    expect(next.items[0]).toMatchObject({ kind: 'incremental', reason: 'on-previous', parentRun: done.backup!.runDir!.split('/').pop() });
    const full = await h.call('backups:plan', { vmIds: [vm.id], folder, mode: 'full', snapshot: false });
    expect(full.items[0]).toMatchObject({ kind: 'full', reason: 'asked-full' });

    const again = await h.call('backups:add', { vmIds: [vm.id], folder, mode: 'auto', snapshot: false, keep: null, start: 'now' });
    const second = again.queued[0]!.id;
    expect(view(second).backup).toMatchObject({ kind: 'incremental' });
    await settled(second);
    expect(view(second).backup).toMatchObject({ kind: 'incremental', runDir: expect.stringMatching(/-incremental$/), disks: [{ state: 'done', mode: 'incremental' }] });
    // Only the changed clusters came: far less than the disk's data.
    expect(view(second).backup!.disks[0]!.dataBytes).toBeLessThan(2 * MiB);
  }, 120_000);

  it('refuses a VM already queued for a backup into the same folder', async () => {
    await h.call('settings:set', { scheduleWindow: windowNotNow() });
    const added = await h.call('backups:add', { vmIds: [vm.id], folder, mode: 'auto', snapshot: false, keep: null, start: 'window' });
    const id = added.queued[0]!.id;
    expect(view(id).state).toBe('waiting');
    const plan = await h.call('backups:plan', { vmIds: [vm.id], folder, mode: 'auto', snapshot: false });
    expect(plan.items[0]).toMatchObject({ kind: null, refusal: 'in-queue', error: { code: 'conflict', message: expect.stringMatching(/already in the queue \(waiting\)/) } });
    const repeated = await h.call('backups:add', { vmIds: [vm.id], folder, mode: 'auto', snapshot: false, keep: null, start: 'now' });
    expect(repeated).toMatchObject({ queued: [], skipped: [{ index: 0, name: vm.name, reason: 'in-queue' }] });
    // Another folder is other work.
    const elsewhere = join(h.dir, 'elsewhere');
    await mkdir(elsewhere);
    expect((await h.call('backups:plan', { vmIds: [vm.id], folder: elsewhere, mode: 'auto', snapshot: false })).items[0]).toMatchObject({ refusal: null, kind: 'full' });
    await h.call('transfers:cancel', { id });
    await h.call('settings:set', { scheduleWindow: null });
  });

  it('cancels a running backup as the queue does: the engine’s backup finalized, its transfer ended, nothing of the run kept', async () => {
    const slow = await runningVm(h, 'slow-01');
    await h.sim.engine.vms.write(slow.disk, 0, randomBytes(16 * MiB));
    await h.call('settings:set', { bandwidthLimit: 1024 * 1024 });
    const added = await h.call('backups:add', { vmIds: [slow.id], folder, mode: 'full', snapshot: false, keep: null, start: 'now' });
    const id = added.queued[0]!.id;
    await until(() => view(id).state === 'transferring' && view(id).progress.bytesOnWire > 0, 30_000, 'the backup to move data');
    expect(view(id).backup!.disks[0]!.state).toBe('running');
    await h.call('transfers:cancel', { id });
    await settled(id);
    expect(view(id)).toMatchObject({ state: 'cancelled', backup: { disks: [{ state: 'failed' }] } });
    await h.call('settings:set', { bandwidthLimit: null });
    const backups = [...h.sim.engine.state.backups.values()].filter((b) => b.vmId === slow.id);
    expect(backups.length).toBeGreaterThan(0);
    expect(backups.map((b) => b.step).filter((step) => step !== 'succeeded' && step !== 'failed')).toEqual([]);
    expect([...h.sim.engine.state.transfers.values()].filter((t) => !t.phase.startsWith('finished'))).toEqual([]);
    const list = await h.call('vms:list', undefined);
    expect(list.vms.find((v) => v.id === slow.id)!.lastBackup).toBeNull();
  }, 120_000);

  it('sends no secret to the window', () => {
    for (const line of h.wire) expect(line).not.toContain(h.sim.password);
  });
});

describe('app core: backups on 4.3 (no checkpoints: the snapshot path)', () => {
  let h: CoreHarness;
  let vm: { id: string; name: string; disk: string };
  let folder: string;
  const { view, settled } = helpers(() => h);
  beforeAll(async () => {
    h = await startCore({ simulator: { engineVersion: '4.3' } });
    await h.call('engines:demo', undefined);
    vm = await runningVm(h, 'legacy-01');
    folder = join(h.dir, 'backups');
    await mkdir(folder);
  }, 60_000);
  afterAll(async () => {
    await h.close();
  });

  it('plans a snapshot backup by itself and says why; an incremental one is refused', async () => {
    const plan = await h.call('backups:plan', { vmIds: [vm.id], folder, mode: 'auto', snapshot: false });
    expect(plan).toMatchObject({ snapshot: true, snapshotForced: true });
    expect(plan.items[0]).toMatchObject({ kind: 'snapshot', reason: 'snapshot-no-checkpoints', refusal: null });
    const incremental = await h.call('backups:plan', { vmIds: [vm.id], folder, mode: 'incremental', snapshot: false });
    expect(incremental.items[0]).toMatchObject({ refusal: 'no-base', error: { message: expect.stringMatching(/no checkpoints/) } });
  });

  it('runs it as a queue job: the disk from a snapshot, the snapshot removed', async () => {
    const added = await h.call('backups:add', { vmIds: [vm.id], folder, mode: 'auto', snapshot: false, keep: null, start: 'now' });
    const id = added.queued[0]!.id;
    await settled(id);
    const done = view(id);
    expect(done.state, JSON.stringify(done.error)).toBe('completed');
    expect(done.backup).toMatchObject({ kind: 'snapshot', runDir: expect.stringMatching(/-snapshot$/), disks: [{ id: vm.disk, state: 'done', mode: 'snapshot' }] });
    expect(done.progress.bytesDone).toBe(16 * MiB);
    expect([...h.sim.engine.state.snapshots.values()].filter((s) => s.vmId === vm.id && s.description?.startsWith('DiskFerry'))).toEqual([]);
    const list = await h.call('vms:list', undefined);
    expect(list.vms.find((v) => v.id === vm.id)!.lastBackup).toMatchObject({ kind: 'snapshot' });
  }, 120_000);
});

describe('app core: backups on 4.1 (neither the backup API nor snapshots as guest data)', () => {
  let h: CoreHarness;
  beforeAll(async () => {
    h = await startCore({ simulator: { engineVersion: '4.1' } });
    await h.call('engines:demo', undefined);
  }, 60_000);
  afterAll(async () => {
    await h.close();
  });

  it('refuses every VM and says what to do', async () => {
    const list = await h.call('vms:list', undefined);
    const app = list.vms.find((v) => v.name === 'app-01')!;
    const plan = await h.call('backups:plan', { vmIds: [app.id], folder: h.dir, mode: 'auto', snapshot: false });
    expect(plan.items[0]).toMatchObject({ kind: null, refusal: 'no-backup-api', error: { code: 'bad-input', message: expect.stringMatching(/backups need oVirt 4\.3 or later/) } });
  });
});

/** A schedule window that does not hold now (the next two hours start in twelve). */
function windowNotNow(): { start: string; end: string } {
  const h = (new Date().getHours() + 12) % 24;
  const hh = (n: number) => String(n % 24).padStart(2, '0');
  return { start: `${hh(h)}:00`, end: `${hh(h + 2)}:00` };
}
