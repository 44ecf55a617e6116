/**
 * The backup commands against the simulator: `vms`, `backup` (full, then auto → incremental, with
 * --json), `backups list`, `backups prune`, usage errors, and a `backup` killed with SIGKILL in the
 * middle of its data: the next `backup` of the VM finalizes the dead run's backup, closes its
 * transfer, removes its unfinished folder and makes a good backup.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processAlive } from '../../main/engine/janitor/ledger.js';
import { vmFolderName } from '../../main/engine/backup/set.js';
import { MiB, type Harness } from './helpers.js';
import { startCliHarness, type CliHarness } from './queue-cli-helpers.js';

describe('diskferry backup, backups, vms', () => {
  let h: Harness;
  let c: CliHarness;
  let close: () => Promise<void>;
  let vm: { id: string; name: string };
  let cow: string;
  beforeAll(async () => {
    ({ h, c, close } = await startCliHarness());
    const disk = await h.client.createDisk({ name: 'cli-bk-cow', provisionedSize: 32 * MiB, format: 'cow', sparse: true, storageDomain: { name: 'data-nfs' } });
    await h.client.waitForDiskOk(disk.id);
    cow = disk.id;
    const v = h.sim.engine.vms.create({ name: 'cli-bk-vm', status: 'up', disks: [cow] });
    vm = { id: v.id, name: v.name };
    await h.sim.engine.vms.write(cow, 0, randomBytes(2 * MiB));
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  it('backs up a running VM, lists the runs and the VM with its last backup', async () => {
    const out = join(h.dir, 'cli-out');
    await mkdir(out);
    const full = await c.cli('backup', vm.name, '--output', out, '--full', '--password-file', c.pw);
    expect(full.code, full.err).toBe(0);
    expect(full.out).toMatch(new RegExp(`^Backed up VM 'cli-bk-vm' \\(full\\): 1 disk\\(s\\), 2\\.00 MiB of data fetched in .* → ${out}/cli-bk-vm-${vm.id.slice(0, 8)}/\\d{8}T\\d{6}Z-full\\.`));

    await h.sim.engine.vms.write(cow, 5 * MiB, randomBytes(1000));
    const inc = await c.cli('backup', vm.id, '--output', out, '--json', '--password-file', c.pw);
    expect(inc.code, inc.err).toBe(0);
    const result = inc.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e['event'] === 'result')!;
    expect(result).toMatchObject({ vm_name: 'cli-bk-vm', kind: 'incremental', data_bytes: 64 * 1024, on_wire: 64 * 1024, parent_run: expect.stringMatching(/-full$/) });

    const list = await c.cli('backups', 'list', out);
    expect(list.code, list.err).toBe(0);
    const rows = list.out.trim().split('\n');
    expect(rows[0]).toMatch(/^VM\s+RUN\s+KIND\s+DISKS\s+DATA\s+BUILDS ON\s+CHECKPOINT$/);
    expect(rows.slice(2).map((r) => r.split(/\s{2,}/).slice(0, 3))).toEqual([
      ['cli-bk-vm', expect.stringMatching(/-full$/), 'full'],
      ['cli-bk-vm', expect.stringMatching(/-incremental$/), 'incremental'],
    ]);
    const json = (await c.cli('backups', 'list', join(out, vmFolderName(vm)), '--json')).out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json.map((j) => j['kind'])).toEqual(['full', 'incremental']);

    const vms = await c.cli('vms', '--output', out, '--password-file', c.pw);
    expect(vms.code, vms.err).toBe(0);
    expect(vms.out.split('\n').find((l) => l.startsWith('cli-bk-vm'))).toMatch(new RegExp(`^cli-bk-vm\\s+${vm.id}\\s+up\\s+1\\s+\\d{8}T\\d{6}Z-incremental$`));

    // One chain only: pruning to one keeps both runs.
    const prune = await c.cli('backups', 'prune', out, '--keep', '1', '--dry-run');
    expect(prune.code, prune.err).toBe(0);
    expect(prune.out).toContain(`${vmFolderName(vm)}: kept 2 run(s), would remove 0.`);
  }, 120_000);

  it('queues a backup for cron: one job for the VM, run by queue run, its progress that of the whole backup', async () => {
    const out = join(h.dir, 'cli-queue');
    await mkdir(out);
    const add = await c.cli('queue', 'add', 'backup', vm.name, '--output', out, '--full', '--now', '--password-file', c.pw);
    expect(add.code, add.err).toBe(0);
    const listed = (await c.cli('queue', 'list', '--json')).out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const job = listed.find((j) => j['kind'] === 'backup')!;
    expect(job).toMatchObject({ name: 'cli-bk-vm', state: 'queued', vm: vm.id, mode: 'full', output: out });
    const run = await c.cli('queue', 'run', '--password-file', c.pw);
    expect(run.code, run.err).toBe(0);
    const done = (await c.cli('queue', 'list', '--json')).out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((j) => j['job'] === job['job'])!;
    expect(done).toMatchObject({ state: 'completed', result: { diskName: 'cli-bk-vm', path: expect.stringMatching(/-full$/) } });
    expect(done['transferred']).toBe(done['size']);
    const runs = (await c.cli('backups', 'list', out, '--json')).out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(runs.map((r) => [r['kind'], r['finished']])).toEqual([['full', true]]);
    expect(await c.cli('queue', 'add', 'backup', 'no-such-vm', '--output', out, '--password-file', c.pw)).toMatchObject({ code: 1, err: expect.stringContaining("No VM 'no-such-vm'") });
  }, 120_000);

  it('says what is wrong with its options', async () => {
    expect(await c.cli('backup', vm.name, '--output', h.dir, '--full', '--incremental')).toMatchObject({ code: 2, err: expect.stringContaining('Choose one of --full, --incremental and --auto') });
    expect(await c.cli('backup', '--output', h.dir)).toMatchObject({ code: 2, err: expect.stringContaining('Name at least one VM') });
    expect(await c.cli('backup', vm.name, '--output', h.dir, '--remove-checkpoints')).toMatchObject({ code: 2, err: expect.stringContaining('--remove-checkpoints goes with --keep N') });
    expect(await c.cli('backups', 'prune', h.dir)).toMatchObject({ code: 2, err: expect.stringContaining('--keep N') });
    const none = await c.cli('backup', 'no-such-vm', '--output', h.dir, '--password-file', c.pw);
    expect(none).toMatchObject({ code: 1, err: expect.stringContaining("No VM 'no-such-vm' on this engine. List them with diskferry vms.") });
  });

  it('a backup killed with SIGKILL leaves nothing open after the next run', async () => {
    const out = join(h.dir, 'cli-kill');
    await mkdir(out);
    await h.sim.engine.vms.write(cow, 8 * MiB, randomBytes(16 * MiB));
    h.sim.faults.bandwidthBytesPerSecond = 512 * 1024;
    const run = c.start(['backup', vm.name, '--output', out, '--full', '--password-file', c.pw]);
    const record = join(out, vmFolderName(vm), '.in-progress.json');
    try {
      const deadline = Date.now() + 60_000;
      let rec: { transferIds: string[]; backupId: string; pid: number } | null = null;
      while (!rec?.transferIds.length) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((res) => setTimeout(res, 100));
        rec = await readFile(record, 'utf8').then((t) => JSON.parse(t) as { transferIds: string[]; backupId: string; pid: number }, () => null);
      }
      await new Promise((res) => setTimeout(res, 500));
      c.signal(run.child, 'SIGKILL');
      await run.exited;
      while (await processAlive(rec.pid)) await new Promise((res) => setTimeout(res, 50));
      h.resetFaults();
      expect(h.sim.engine.state.backups.get(rec.backupId)?.step).toBe('ready');

      const next = await c.cli('backup', vm.name, '--output', out, '--password-file', c.pw);
      expect(next.code, next.err).toBe(0);
      expect(next.err).toContain(`stopped before it ended: backup ${rec.backupId} was finalized`);
      expect(next.out).toMatch(/\(full\)/);
      expect(['succeeded', undefined]).toContain(h.sim.engine.state.backups.get(rec.backupId)?.step);
      expect([...h.sim.engine.state.transfers.values()].filter((t) => !t.phase.startsWith('finished'))).toEqual([]);
      const runs = (await readdir(join(out, vmFolderName(vm)))).filter((n) => !n.startsWith('.'));
      expect(runs).toHaveLength(1);
    } finally {
      h.resetFaults();
      c.signal(run.child, 'SIGKILL');
    }
  }, 120_000);
});
