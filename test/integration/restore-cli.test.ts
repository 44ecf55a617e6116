/**
 * `diskferry restore`: a backup chain made by qemu-img (a full run and an incremental on top, with
 * relative backing names and manifests written by writeManifest) restored into a new disk that holds
 * the chain collapsed, checked against the backup's digest and attached to a VM; an unfinished run,
 * an unknown disk and damaged backup files are refused, and nothing is left behind.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeManifest, type BackupManifest } from '../../main/engine/backup/manifest.js';
import { PendingSnapshots } from '../../main/engine/backup/snapshot-pending.js';
import { localChecksum } from '../../main/engine/image/local-checksum.js';
import { qemu, qemuRaw } from '../engine/image/qcow2-fixtures.js';
import { resultEvents, runCli } from './capture.js';
import { expectDiskEqualsFile, startHarness, type Harness } from './helpers.js';

const DISK_ID = 'aaaaaaaa-1111-2222-3333-444444444444';
const FULL = '20261206T221500Z-full';
const INCR = '20261207T221500Z-incremental';

/** A VM's backup set: a full run and an incremental run whose file is backed by the full one. */
async function makeBackupSet(root: string, o: { wrongDigest?: boolean } = {}): Promise<{ vmDir: string; top: string }> {
  const vmDir = join(root, 'web-01-abcdef12');
  await mkdir(join(vmDir, FULL), { recursive: true });
  await mkdir(join(vmDir, INCR), { recursive: true });
  const file = 'web-01-disk1-aaaaaaaa.qcow2';
  const base = join(vmDir, FULL, file);
  const top = join(vmDir, INCR, file);
  await qemu('qemu-img', ['create', '-f', 'qcow2', base, '32M']);
  await qemu('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x41 0 4M', '-c', 'write -P 0x42 16M 2M', base]);
  await qemu('qemu-img', ['create', '-f', 'qcow2', '-b', `../${FULL}/${file}`, '-F', 'qcow2', top, '32M']);
  await qemu('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x43 1M 1M', '-c', 'write -z 16M 1M', '-c', 'write -P 0x44 30M 64k', top]);
  const digestOf = async (path: string) => {
    const c = await localChecksum(path);
    return { algorithm: c.algorithm, blockSize: c.blockSize, value: o.wrongDigest ? c.checksum.replace(/^./, (ch) => (ch === '0' ? '1' : '0')) : c.checksum };
  };
  const manifest = (kind: 'full' | 'incremental', dataBytes: number, digest: BackupManifest['disks'][number]['digest']): BackupManifest => ({
    format: 'diskferry-backup/1',
    kind,
    vm: { id: 'abcdef12-0000-0000-0000-000000000000', name: 'web-01' },
    engine: { host: 'engine.example:443', version: '4.5.5' },
    backupId: 'b-1',
    snapshotId: null,
    fromCheckpointId: kind === 'full' ? null : 'cp-1',
    toCheckpointId: kind === 'full' ? 'cp-1' : 'cp-2',
    parentRun: kind === 'full' ? null : FULL,
    startedAt: '2026-12-06T22:15:00.000Z',
    finishedAt: '2026-12-06T22:16:00.000Z',
    disks: [{ id: DISK_ID, alias: 'web-01-disk1', file, virtualSize: 32 * 1024 * 1024, mode: kind, backingFile: kind === 'full' ? null : `../${FULL}/${file}`, dataBytes, digest }],
    notes: [],
  });
  await writeManifest(join(vmDir, FULL), manifest('full', 6 * 1024 * 1024, await digestOf(base)));
  await writeManifest(join(vmDir, INCR), manifest('incremental', 2 * 1024 * 1024, await digestOf(top)));
  return { vmDir, top };
}

describe('diskferry restore', () => {
  let h: Harness;
  let pw: string;
  const env = process.env;
  const run = (...args: string[]) => runCli(...args, '--password-file', pw);

  beforeAll(async () => {
    h = await startHarness('4.5');
    process.env = { ...env, DISKFERRY_CONFIG_DIR: join(h.dir, 'config') };
    delete process.env['DISKFERRY_PASSWORD'];
    pw = join(h.dir, 'pw');
    await writeFile(pw, h.sim.password + '\n');
    const login = await runCli('login', '--engine', h.sim.engineUrl, '--username', h.sim.username, '--password-file', pw, '--trust-fingerprint', h.sim.caFingerprint);
    expect(login.code).toBe(0);
  });
  afterAll(async () => {
    process.env = env;
    await h?.close();
  });

  it('restores the top of a chain collapsed into a new disk, checked against the backup, attached to a VM', async () => {
    const { vmDir, top } = await makeBackupSet(join(h.dir, 'set'));
    const r = await run('restore', join(vmDir, INCR), '--storage-domain', 'data-nfs', '--attach', 'web-01', '--json');
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const [res] = resultEvents(r.out);
    expect(res).toMatchObject({ backup_disk_id: DISK_ID, backup_disk_alias: 'web-01-disk1', disk_name: 'web-01-disk1-20261207T221500Z', format: 'cow', verified: true, matches_backup: true, attached_to: { vm_name: 'web-01' } });
    expect(res!['chain']).toEqual([top, join(vmDir, FULL, 'web-01-disk1-aaaaaaaa.qcow2')]);
    const diskId = res!['disk_id'] as string;
    await expectDiskEqualsFile(h.sim, diskId, await qemuRaw(top, join(h.dir, 'top.raw')));
    const vm = [...h.sim.engine.state.vms.values()].find((v) => v.name === 'web-01')!;
    expect(vm.diskIds).toContain(diskId);

    // The plain form says the same in words, with the chain in the plan's note.
    const plain = await run('restore', join(vmDir, FULL), '--storage-domain', 'data-nfs', '--name', 'web-restored', '--quiet');
    expect(plain.code).toBe(0);
    expect(plain.out).toMatch(/^Restored disk web-01-disk1 of the backup into disk 'web-restored' \([0-9a-f-]{36}\) on data-nfs: 32\.00 MiB \(6\.00 MiB of data\) in .*; verified: the server's blake2b checksum matches; the checksum the backup recorded agrees\.\n$/);
    const inc = await run('restore', join(vmDir, INCR), '--storage-domain', 'data-nfs', '--name', 'web-restored-2');
    expect(inc.err).toMatch(/note: web-01-disk1-aaaaaaaa\.qcow2 has a backing chain: uploads the whole chain collapsed: 2 files\./);
  });

  it('queue add restore: planned when queued (a mistake fails at once), run by queue run, attached, listed as a restore', async () => {
    const { vmDir, top } = await makeBackupSet(join(h.dir, 'set-queued'));
    const before = h.sim.engine.state.disks.size;
    const bad = await run('queue', 'add', 'restore', join(vmDir, INCR), '--storage-domain', 'data-nfs', '--attach', 'no-such-vm');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/No VM 'no-such-vm' on this engine, so nothing was restored/);
    expect(await run('queue', 'add', 'restore', '--storage-domain', 'data-nfs')).toMatchObject({ code: 2, err: expect.stringContaining('Name one backup run folder') });
    expect(await run('queue', 'add', 'upload', top, '--storage-domain', 'data-nfs', '--attach', 'web-01')).toMatchObject({ code: 2, err: expect.stringContaining('--attach and --disk go with queue add restore') });

    expect(await run('queue', 'add', 'restore', join(vmDir, INCR), '--storage-domain', 'data-nfs', '--output', h.dir)).toMatchObject({ code: 2, err: expect.stringContaining('--format and --output are for downloads') });
    const add = await run('queue', 'add', 'restore', join(vmDir, INCR), '--storage-domain', 'data-nfs', '--attach', 'web-01', '--name', 'web-queued', '--disk-format', 'raw', '--now');
    expect(add.code, add.err).toBe(0);
    expect(add.out).toMatch(/^Queued [0-9a-f]{8}: restore web-queued\n$/);
    expect(h.sim.engine.state.disks.size).toBe(before);
    const listed = (await run('queue', 'list', '--json')).out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const job = listed.find((j) => j['name'] === 'web-queued')!;
    expect(job).toMatchObject({ kind: 'upload', state: 'queued', file: top, restore: { run: join(vmDir, INCR), run_kind: 'incremental', vm_name: 'web-01', backup_disk_alias: 'web-01-disk1', attach: { vm_name: 'web-01' } } });
    const table = await run('queue', 'list');
    expect(table.out.split('\n').find((l) => l.includes('web-queued'))).toMatch(/queued\s+restore\s+web-queued.*\(restore, attach to web-01\)/);

    const ran = await run('queue', 'run');
    expect(ran.code, ran.err).toBe(0);
    const done = (await run('queue', 'list', '--json')).out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((j) => j['job'] === job['job'])!;
    expect(done).toMatchObject({ state: 'completed', result: { diskName: 'web-queued' } });
    const diskId = (done['result'] as { diskId: string }).diskId;
    // The format asked for: the chain goes up collapsed into a raw disk.
    expect(h.sim.engine.state.disks.get(diskId)?.format).toBe('raw');
    await expectDiskEqualsFile(h.sim, diskId, await qemuRaw(top, join(h.dir, 'queued-top.raw')));
    expect([...h.sim.engine.state.vms.values()].find((v) => v.name === 'web-01')!.diskIds).toContain(diskId);
    const csv = await run('queue', 'report', '--csv', '--all');
    expect(csv.out.split('\r\n').find((l) => l.includes(diskId))).toMatch(/^[0-9a-f-]+,restore,/);
  }, 60_000);

  it('refuses an unfinished run folder, an unknown disk and a VM that is not there, creating nothing', async () => {
    const { vmDir } = await makeBackupSet(join(h.dir, 'set2'));
    const unfinished = join(vmDir, '20261208T221500Z-incremental');
    await mkdir(unfinished);
    const before = h.sim.engine.state.disks.size;
    const a = await run('restore', unfinished, '--storage-domain', 'data-nfs');
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/has no manifest\.json: it is an unfinished backup run .* nothing in it is restored/);
    const b = await run('restore', join(vmDir, FULL), '--storage-domain', 'data-nfs', '--disk', 'nope');
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/has no disk 'nope'\. Its disks: web-01-disk1\./);
    const c = await run('restore', join(vmDir, FULL), '--storage-domain', 'data-nfs', '--attach', 'no-such-vm');
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/No VM 'no-such-vm' on this engine, so nothing was restored/);
    const d = await run('restore', '--storage-domain', 'data-nfs');
    expect(d.code).toBe(2);
    expect(h.sim.engine.state.disks.size).toBe(before);
  });

  it('refuses backup files that do not hold what the backup recorded, and deletes the new disk', async () => {
    const { vmDir } = await makeBackupSet(join(h.dir, 'set3'), { wrongDigest: true });
    const before = h.sim.engine.state.disks.size;
    const r = await run('restore', join(vmDir, INCR), '--storage-domain', 'data-nfs', '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/does not hold what the backup of disk web-01-disk1 recorded: its checksum differs from the manifest's\. .* The new disk 'web-01-disk1-20261207T221500Z' was deleted\./);
    await expect.poll(() => h.sim.engine.state.disks.size, { timeout: 10_000 }).toBe(before);
  });

  it('any command removes the snapshot a killed snapshot backup left (here: transfers clean)', async () => {
    const vm = [...h.sim.engine.state.vms.values()].find((v) => v.name === 'web-01')!;
    const snap = await h.client.backups.createSnapshot(vm.id, { description: 'DiskFerry backup 20261206T000000Z-snapshot' });
    await h.client.backups.waitForSnapshotReady(vm.id, snap.id, { timeoutMs: 20_000 });
    const pending = new PendingSnapshots(join(h.dir, 'config', 'pending-snapshots'));
    await pending.write({ ...pending.create({ engine: h.client.engineHost, vmId: vm.id, vmName: vm.name, description: snap.description!, runDir: join(h.dir, 'gone') }), snapshotId: snap.id, pid: 2 ** 22 + 1 });
    const r = await run('transfers', 'clean', '--yes');
    expect(r.err).toMatch(/diskferry: removed the snapshot 'DiskFerry backup 20261206T000000Z-snapshot' of VM web-01 that an interrupted backup \(process \d+\) left/);
    expect(h.sim.engine.state.snapshots.has(snap.id)).toBe(false);
    expect(await pending.list()).toEqual([]);
  });
});
