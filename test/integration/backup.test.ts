/**
 * Backups of a running VM against the simulator on 4.4 (legacy) and 4.5 (hybrid): a full backup,
 * then three incremental ones with guest writes in between. Each run's files are compared with the
 * VM's disk at that moment (a raw copy of the simulator's guest view) by the real qemu-img, which
 * follows the chain; the chain passes `qemu-img check`; incremental runs fetch only the changed
 * clusters; a refused checkpoint falls back to a full backup; retention keeps whole chains; a run
 * that died leaves nothing open for the next one.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupVm, type BackupResult } from '../../main/engine/backup/backup-run.js';
import { endLeftovers } from '../../main/engine/backup/in-progress.js';
import { listRuns, vmFolderName } from '../../main/engine/backup/set.js';
import { KiB, MiB, TUNING, startHarness, type Harness } from './helpers.js';

const run = promisify(execFile);
const qemuImg = async (...args: string[]) => (await run('qemu-img', args)).stdout;

describe.each(['4.4', '4.5'] as const)('backups of a running VM on engine %s', (version) => {
  let h: Harness;
  let vm: { id: string; name: string };
  let cow: string;
  let raw: string;
  let out: string;
  beforeAll(async () => {
    h = await startHarness(version);
    const sd = { name: 'data-nfs' };
    const c = await h.client.createDisk({ name: 'bk-cow', provisionedSize: 64 * MiB, format: 'cow', sparse: true, storageDomain: sd });
    const r = await h.client.createDisk({ name: 'bk-raw', provisionedSize: 8 * MiB, format: 'raw', sparse: true, storageDomain: sd });
    await h.client.waitForDiskOk(c.id);
    await h.client.waitForDiskOk(r.id);
    cow = c.id;
    raw = r.id;
    const v = h.sim.engine.vms.create({ name: 'nightly-vm', status: 'up', disks: [cow, raw] });
    vm = { id: v.id, name: v.name };
    await h.sim.engine.vms.write(cow, 0, randomBytes(3 * MiB + 5));
    await h.sim.engine.vms.write(cow, 40 * MiB, randomBytes(2 * MiB));
    await h.sim.engine.vms.write(raw, MiB, randomBytes(MiB));
    out = join(h.dir, 'backups');
    await run('mkdir', ['-p', out]);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  /** The VM's disk now, as a raw file (the simulator's guest view). */
  async function guestCopy(diskId: string, name: string): Promise<string> {
    const image = h.sim.images.get(diskId)!;
    const path = join(h.dir, `${name}.raw`);
    await writeFile(path, await image.read(0, image.size));
    return path;
  }

  const backup = (mode: 'full' | 'incremental' | 'auto', extra: { keep?: number; removeCheckpoints?: boolean } = {}) =>
    backupVm(h.deps, { vm: vm.name, outputDir: out, mode, ...extra }, { tuning: TUNING });

  /** Every disk of the run equals the guest copies taken at its time, through its chain. */
  async function expectRunMatches(r: BackupResult, copies: { cow: string; raw: string }): Promise<void> {
    for (const d of r.manifest.disks) {
      const file = join(r.runDir, d.file);
      expect(await qemuImg('check', file)).toMatch(/No errors were found/);
      await qemuImg('compare', d.id === cow ? copies.cow : copies.raw, file);
    }
  }

  const points: Array<{ r: BackupResult; copies: { cow: string; raw: string } }> = [];

  it('a full backup, then three incremental ones with guest writes between them', async () => {
    const full = await backup('auto');
    expect(full.manifest).toMatchObject({ kind: 'full', vm, parentRun: null, fromCheckpointId: null, toCheckpointId: expect.any(String) });
    expect(full.manifest.disks.map((d) => [d.id, d.mode, d.backingFile])).toEqual([
      [cow, 'full', null],
      [raw, 'full', null],
    ]);
    // Full disks are verified against the server's checksum.
    expect(full.manifest.disks.every((d) => d.digest !== null)).toBe(true);
    points.push({ r: full, copies: { cow: await guestCopy(cow, 'cow-0'), raw: await guestCopy(raw, 'raw-0') } });
    await expectRunMatches(full, points[0]!.copies);

    const changes = [
      async () => {
        await h.sim.engine.vms.write(cow, 100 * KiB + 3, randomBytes(10 * KiB)); // one cluster
        await h.sim.engine.vms.write(cow, 50 * MiB, randomBytes(128 * KiB)); // two, where nothing was
      },
      async () => {
        await h.sim.engine.vms.zero(cow, 40 * MiB, MiB); // zeroed whole clusters: zero clusters, no data
        await h.sim.engine.vms.write(cow, 64 * MiB - 10, randomBytes(10)); // the last cluster
      },
      async () => {
        await h.sim.engine.vms.zero(cow, 41 * MiB + 1000, 70 * KiB); // unaligned: its edge clusters are fetched
        await h.sim.engine.vms.write(raw, 0, randomBytes(KiB));
      },
    ];
    const expectedCowBytes = [3 * 64 * KiB, 64 * KiB, 2 * 64 * KiB];
    for (const [i, change] of changes.entries()) {
      await change();
      const r = await backup('auto');
      const prev = points[points.length - 1]!.r;
      expect(r.manifest).toMatchObject({ kind: 'incremental', parentRun: prev.manifest.disks.length ? join(prev.runDir).split('/').pop() : null, fromCheckpointId: prev.manifest.toCheckpointId });
      const [c, rw] = r.manifest.disks;
      expect(c).toMatchObject({ id: cow, mode: 'incremental', backingFile: `../${prev.runDir.split('/').pop()}/${c!.file}`, digest: null });
      // A raw disk is in no checkpoint: always whole.
      expect(rw).toMatchObject({ id: raw, mode: 'full', backingFile: null });
      // Only the changed clusters of the qcow2 disk crossed the network.
      expect(c!.dataBytes).toBe(expectedCowBytes[i]);
      expect(r.bytesOnWire).toBe(c!.dataBytes + rw!.dataBytes);
      points.push({ r, copies: { cow: await guestCopy(cow, `cow-${i + 1}`), raw: await guestCopy(raw, `raw-${i + 1}`) } });
      await expectRunMatches(r, points[points.length - 1]!.copies);
      const chain = JSON.parse(await qemuImg('info', '--backing-chain', '--output=json', join(r.runDir, c!.file))) as unknown[];
      expect(chain).toHaveLength(i + 2);
    }
    // Every point in time is still there, each through its own chain.
    for (const p of points) await expectRunMatches(p.r, p.copies);
    expect((await h.client.backups.backups(vm.id)).every((b) => b.phase === 'succeeded')).toBe(true);
    expect((await h.client.transfers()).filter((t) => !t.phase.startsWith('finished'))).toEqual([]);
  }, 120_000);

  it('falls back to a full backup when the engine no longer knows the checkpoint, and says so', async () => {
    const last = points[points.length - 1]!.r.manifest.toCheckpointId!;
    await h.client.backups.deleteCheckpoint(vm.id, last);
    expect(await h.client.backups.waitForCheckpointGone(vm.id, last, { timeoutMs: 5000 })).toBe(true);
    await expect(backupVm(h.deps, { vm: vm.id, outputDir: out, mode: 'incremental' })).resolves.toMatchObject({ manifest: { kind: 'full', parentRun: null } });
    const runs = await listRuns(join(out, vmFolderName(vm)));
    const r = runs[runs.length - 1]!;
    expect(r.manifest!.notes.join(' ')).toMatch(new RegExp(`refused checkpoint ${last}.*full backup instead`));
    await expectRunMatches({ ...points[0]!.r, manifest: r.manifest!, runDir: r.dir }, { cow: await guestCopy(cow, 'cow-f'), raw: await guestCopy(raw, 'raw-f') });
  }, 60_000);

  it('keeps N full chains, never a run a kept one builds on, and removes their checkpoints on request', async () => {
    const vmDir = join(out, vmFolderName(vm));
    await h.sim.engine.vms.write(cow, 7 * MiB, randomBytes(KiB));
    const r = await backup('auto', { keep: 1, removeCheckpoints: true });
    expect(r.manifest.kind).toBe('incremental');
    const names = (await listRuns(vmDir)).map((x) => x.name);
    expect(names).toHaveLength(2); // the fallback full and the incremental on it
    expect(r.pruned!.removed).toHaveLength(4);
    expect(names).toEqual(r.pruned!.kept);
    // The old chain's checkpoints are gone on the engine; the kept chain's are there.
    const left = (await h.client.backups.checkpoints(vm.id)).map((c) => c.id);
    expect(left).toContain(r.manifest.toCheckpointId);
    for (const p of points) expect(left).not.toContain(p.r.manifest.toCheckpointId);
    await qemuImg('compare', await guestCopy(cow, 'cow-k'), join(r.runDir, r.manifest.disks[0]!.file));
  }, 60_000);

  it('a run that died mid-way is ended by the next one: backup finalized, transfers closed, its folder gone', async () => {
    const vmDir = join(out, vmFolderName(vm));
    // What a kill -9 leaves: a started backup, an open transfer, a run folder without a manifest,
    // and the record of a process that is gone.
    const b = await h.client.backups.startBackup(vm.id, { diskIds: [cow], description: 'DiskFerry backup killed' });
    await h.client.backups.waitForBackupReady(vm.id, b.id, { timeoutMs: 20_000 });
    const t = await h.client.createTransfer({ diskId: cow, backupId: b.id, direction: 'download', format: 'raw' });
    await h.client.waitForTransferReady(t, { timeoutMs: 20_000 });
    const dead = await run(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).then((x) => Number(x.stdout));
    await run('mkdir', [join(vmDir, '20200101T000000Z-full')]);
    await writeFile(join(vmDir, '20200101T000000Z-full', 'partial.qcow2'), 'x');
    await writeFile(
      join(vmDir, '.in-progress.json'),
      JSON.stringify({ format: 'diskferry-backup-run/1', vmId: vm.id, vmName: vm.name, description: 'DiskFerry backup killed', backupId: null, runName: '20200101T000000Z-full', transferIds: [t.id], pid: dead, host: (await import('node:os')).hostname(), startedAt: new Date().toISOString() }),
    );
    // Without a running backup's end the engine refuses a new one; the next run ends it first.
    const r = await backup('auto');
    expect(r.manifest.notes[0]).toMatch(new RegExp(`stopped before it ended: backup ${b.id} was finalized and its unfinished folder 20200101T000000Z-full removed`));
    expect((await h.client.backups.backup(vm.id, b.id))?.phase ?? 'gone').toMatch(/succeeded|gone/);
    expect((await h.client.transfers()).filter((x) => !x.phase.startsWith('finished'))).toEqual([]);
    expect(await readdir(vmDir)).not.toContain('20200101T000000Z-full');
    expect(await readdir(vmDir)).not.toContain('.in-progress.json');
    expect(await endLeftovers(h.deps, vmDir)).toBeNull();
  }, 60_000);
});
