/**
 * `backups:*` through the app core against the simulator: a running VM backed up first by the
 * engine's backup run (a full run, an incremental one), an unfinished and a damaged run beside them;
 * the history lists each as it is (and remembers the folder per engine), the plan of a restore gives
 * the room and default name, and a restore queued with "attach to the VM the backup is of" completes:
 * the new disk holds the VM's disk as it was at that run (`qemu-img compare`) and is attached. Errors
 * (a domain that is not there, a VM that is not there, an unfinished run) queue nothing.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupVm, type BackupResult } from '../../main/engine/backup/backup-run.js';
import { createLog } from '../../main/engine/log.js';
import { OvirtClient } from '../../main/engine/ovirt/client.js';
import { realTimers } from '../../main/engine/timers.js';
import type { TransferView } from '../../shared/ipc.js';
import { MiB, TUNING } from '../integration/helpers.js';
import { startCore, until, type CoreHarness } from './helpers.js';

const run = promisify(execFile);

describe('app core: backup history and restore jobs', () => {
  let h: CoreHarness;
  let client: OvirtClient;
  let vm: { id: string; name: string };
  let disk: string;
  let out: string;
  let full: BackupResult;
  let incr: BackupResult;
  let atIncr: string;
  let dataNfs: string;

  beforeAll(async () => {
    h = await startCore();
    await h.call('engines:demo', undefined);
    dataNfs = (await h.call('catalog:storageDomains', {})).find((d) => d.name === 'data-nfs')!.id;
    const log = createLog({ level: 'warn', write: () => {} });
    const trust = { caPem: [h.sim.caPem] };
    client = new OvirtClient({ engineUrl: h.sim.engineUrl, username: h.sim.username, password: () => h.sim.password, trust, log, pollIntervalMs: 20 });
    await client.login();
    const deps = { client, trust, log, timers: realTimers, now: Date.now };
    const d = await client.createDisk({ name: 'hist-disk', provisionedSize: 16 * MiB, format: 'cow', sparse: true, storageDomain: { name: 'data-nfs' } });
    await client.waitForDiskOk(d.id);
    disk = d.id;
    const v = h.sim.engine.vms.create({ name: 'hist-vm', status: 'up', disks: [disk] });
    vm = { id: v.id, name: v.name };
    await h.sim.engine.vms.write(disk, 0, randomBytes(2 * MiB));
    out = join(h.dir, 'backups');
    await mkdir(out);
    full = await backupVm(deps, { vm: vm.name, outputDir: out, mode: 'full' }, { tuning: TUNING });
    await h.sim.engine.vms.write(disk, 4 * MiB, randomBytes(MiB));
    // A run folder's name is its start to the second: the next run must not share it.
    await new Promise((r) => setTimeout(r, 1100));
    incr = await backupVm(deps, { vm: vm.name, outputDir: out, mode: 'auto' }, { tuning: TUNING });
    atIncr = await guestCopy(disk, 'at-incr');
    await h.sim.engine.vms.write(disk, 0, randomBytes(MiB));
  }, 90_000);
  afterAll(async () => {
    await client?.logout().catch(() => {});
    await client?.close();
    await h?.close();
  });

  async function guestCopy(id: string, name: string): Promise<string> {
    const image = h.sim.images.get(id)!;
    const path = join(h.dir, `${name}.raw`);
    await writeFile(path, await image.read(0, image.size));
    return path;
  }
  const transfer = (id: string): TransferView => h.snapshot('transfers:changed').transfers.find((x) => x.id === id)!;

  it('lists the runs per VM: kind, chain, disks, verified; an unfinished and a damaged run said as such; the folder remembered', async () => {
    expect(await h.call('backups:list', undefined)).toEqual({ folder: null, vms: [] });
    const vmDir = join(out, `hist-vm-${vm.id.slice(0, 8)}`);
    await mkdir(join(vmDir, '20200101T000000Z-full'));
    const broken = join(vmDir, '20200102T000000Z-full');
    await mkdir(broken);
    await writeFile(join(broken, 'manifest.json'), '{"format":"something else"}');
    const history = await h.call('backups:list', { folder: out });
    expect(history.folder).toBe(out);
    expect(history.vms).toHaveLength(1);
    const [entry] = history.vms;
    expect(entry).toMatchObject({ vmId: vm.id, vmName: 'hist-vm', folder: `hist-vm-${vm.id.slice(0, 8)}` });
    const runs = entry!.runs;
    expect(runs.map((r) => [r.kind, r.state, r.restorable])).toEqual([
      ['full', 'unfinished', false],
      ['full', 'damaged', false],
      ['full', 'finished', true],
      ['incremental', 'finished', true],
    ]);
    expect(runs[0]!.problem).toMatch(/No manifest: the run was interrupted, or is still running/);
    expect(runs[1]!.problem).toMatch(/Its manifest cannot be read .*not a DiskFerry backup manifest/);
    const [, , f, i] = runs;
    expect(f).toMatchObject({ path: full.runDir, parentRun: null, chainRoot: null, problem: null });
    expect(i).toMatchObject({ path: incr.runDir, parentRun: f!.name, chainRoot: f!.name });
    expect(f!.disks).toEqual([{ id: disk, alias: 'hist-disk', file: join(full.runDir, full.manifest.disks[0]!.file), virtualSize: 16 * MiB, dataBytes: 2 * MiB, mode: 'full', verified: true, missing: false }]);
    expect(i!.disks[0]).toMatchObject({ mode: 'incremental', verified: false, dataBytes: MiB });
    // Remembered for this engine: the next look needs no folder.
    expect((await h.call('backups:list', undefined)).folder).toBe(out);
    expect(h.snapshot('settings:changed').backupFolder).toEqual({ [h.snapshot('engines:changed').selectedId!]: out });
    await rm(join(vmDir, '20200101T000000Z-full'), { recursive: true });
    await rm(broken, { recursive: true });
  });

  it('says a missing file and a missing base run, and refuses folders that are not there', async () => {
    const copy = join(h.dir, 'copy');
    await run('cp', ['-a', out, copy]);
    const vmDir = join(copy, `hist-vm-${vm.id.slice(0, 8)}`);
    await rm(join(vmDir, basename(full.runDir), full.manifest.disks[0]!.file));
    const runs = (await h.call('backups:list', { folder: copy })).vms[0]!.runs;
    expect(runs.map((r) => r.state)).toEqual(['damaged', 'damaged']);
    expect(runs[0]!.disks[0]!.missing).toBe(true);
    expect(runs[0]!.problem).toMatch(/hist-disk-[0-9a-f]{8}\.qcow2 is missing\. This run cannot be restored; restore another run\./);
    expect(runs[1]!.problem).toMatch(/The run it builds on, \d{8}T\d{6}Z-full, is damaged\./);
    const none = await h.invoke('backups:list', { folder: join(h.dir, 'nowhere') });
    expect(!none.ok && none.error).toMatchObject({ code: 'not-found', message: expect.stringMatching(/does not exist\. Choose the folder your backups are in\./) });
    const relative = await h.invoke('backups:list', { folder: 'backups' });
    expect(!relative.ok && relative.error.code).toBe('bad-input');
    // A VM folder itself is read as that VM.
    const one = await h.call('backups:list', { folder: join(out, `hist-vm-${vm.id.slice(0, 8)}`) });
    expect(one.vms.map((v) => [v.vmName, v.runs.length])).toEqual([['hist-vm', 2]]);
    await h.call('backups:list', { folder: copy });
    // A folder that failed is not remembered.
    expect((await h.call('backups:list', undefined)).folder).toBe(copy);
    await h.call('backups:list', { folder: out });
  });

  it('plans a restore: default name from the run, the room per choice, the VM the backup is of', async () => {
    const plan = await h.call('backups:planRestore', { run: incr.runDir });
    expect(plan).toMatchObject({ run: incr.runDir, vm, vmPresent: true, storageDomainId: null });
    expect(plan.items).toHaveLength(1);
    expect(plan.items[0]).toMatchObject({ backupDiskId: disk, alias: 'hist-disk', diskName: `hist-disk-${incr.runDir.split('/').pop()!.replace(/-incremental$/, '')}`, format: 'qcow2', virtualSize: 16 * MiB, diskFormat: 'cow', problem: null });
    expect(plan.items[0]!.spaceNeeded.find((s) => s.diskFormat === 'cow' && !s.preallocated && !s.isBlock)!.bytes).toBeGreaterThanOrEqual(3 * MiB);
    const unfinished = join(out, 'not-a-run');
    await mkdir(unfinished);
    const r = await h.invoke('backups:planRestore', { run: unfinished });
    expect(!r.ok && r.error.message).toMatch(/has no manifest: it is an unfinished backup run/);
  });

  it('queues a restore attached to the VM the backup is of; the job completes, the disk is the VM disk at that run and attached', async () => {
    const before = h.sim.engine.state.disks.size;
    const badDomain = await h.invoke('backups:restore', { run: incr.runDir, storageDomainId: 'no-such-domain', items: [{ backupDiskId: disk, diskName: 'x' }], attach: { kind: 'source' } });
    expect(!badDomain.ok && badDomain.error.code).toBe('not-found');
    const badVm = await h.invoke('backups:restore', { run: incr.runDir, storageDomainId: dataNfs, items: [{ backupDiskId: disk, diskName: 'x' }], attach: { kind: 'vm', name: 'no-such-vm' } });
    expect(!badVm.ok && badVm.error).toMatchObject({ code: 'not-found', message: "No VM 'no-such-vm' on this engine, so nothing was restored. Check the name, or attach to another VM.", subject: { kind: 'vm', name: 'no-such-vm' } });
    // The VM the backup is of, gone from the engine: the plan says so, and attaching to it is refused in words.
    const kept = h.sim.engine.state.vms.get(vm.id)!;
    h.sim.engine.state.vms.delete(vm.id);
    expect((await h.call('backups:planRestore', { run: incr.runDir })).vmPresent).toBe(false);
    const gone = await h.invoke('backups:restore', { run: incr.runDir, storageDomainId: dataNfs, items: [{ backupDiskId: disk, diskName: 'x' }], attach: { kind: 'source' } });
    expect(!gone.ok && gone.error.message).toBe('VM hist-vm, which this backup is of, is no longer on this engine, so nothing was restored. Attach the disk to another VM, or to none.');
    h.sim.engine.state.vms.set(vm.id, kept);
    expect(h.snapshot('transfers:changed').transfers.filter((t) => t.restore)).toEqual([]);
    expect(h.sim.engine.state.disks.size).toBe(before);

    const { queued, skipped } = await h.call('backups:restore', { run: incr.runDir, storageDomainId: dataNfs, items: [{ backupDiskId: disk, diskName: 'hist-restored' }], attach: { kind: 'source' } });
    expect(skipped).toEqual([]);
    const [job] = queued;
    expect(job).toMatchObject({ direction: 'upload', diskName: 'hist-restored', storageDomainName: 'data-nfs', restore: { diskAlias: 'hist-disk', vmName: 'hist-vm', runStartedAt: Date.parse(incr.manifest.startedAt), attachVmName: 'hist-vm' } });
    // The same restore again is left out, as a repeated upload is.
    const again = await h.call('backups:restore', { run: incr.runDir, storageDomainId: dataNfs, items: [{ backupDiskId: disk, diskName: 'hist-restored' }], attach: { kind: 'source' } });
    expect(again.skipped.map((s) => s.reason)).toEqual(['in-queue']);
    await until(() => ['completed', 'failed'].includes(transfer(job!.id).state), 30_000, 'the restore to end');
    const done = transfer(job!.id);
    expect(done.state, done.error?.message).toBe('completed');
    expect(done.checksum?.verified).toBe(true);
    expect(done.notes).toEqual(expect.arrayContaining(['Attached to VM hist-vm.']));
    expect(h.sim.engine.state.vms.get(vm.id)!.diskIds).toContain(done.diskId);
    await run('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', atIncr, await guestCopy(done.diskId!, 'restored')]);
    // The disk list shows the new disk; the storage domain is remembered.
    expect((await h.call('catalog:disks', { search: 'hist-restored' })).map((d) => d.name)).toEqual(['hist-restored']);
    expect((await h.call('backups:planRestore', { run: full.runDir })).storageDomainId).toBe(dataNfs);
    // Nothing secret crossed.
    const wire = h.wire.join('\n');
    expect(wire).not.toContain(h.sim.password);
    expect(wire).not.toMatch(/\/images\/|Bearer|"ticket/i);
  }, 60_000);

  it('a restore that failed for want of space says so; Change and retry to another domain restores it, still a restore', async () => {
    const full = (await h.call('catalog:storageDomains', {})).find((d) => d.name === 'data-full')!;
    const { queued } = await h.call('backups:restore', { run: incr.runDir, storageDomainId: full.id, items: [{ backupDiskId: disk, diskName: 'hist-retarget' }], attach: { kind: 'none' } });
    const id = queued[0]!.id;
    await until(() => ['completed', 'failed'].includes(transfer(id).state), 30_000, 'the restore to fail');
    expect(transfer(id)).toMatchObject({ state: 'failed', error: { code: 'domain-full' }, actions: { retarget: true } });
    await h.call('transfers:retarget', { id, target: { kind: 'upload', storageDomainId: dataNfs, diskName: 'hist-retarget' } });
    await until(() => transfer(id).state === 'completed', 30_000, 'the changed restore to complete');
    const done = transfer(id);
    expect(done).toMatchObject({ name: 'hist-disk', storageDomainName: 'data-nfs', restore: { diskAlias: 'hist-disk', attachVmName: null } });
    await run('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', atIncr, await guestCopy(done.diskId!, 'retargeted')]);
  }, 60_000);
});
