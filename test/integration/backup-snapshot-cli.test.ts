/**
 * `diskferry backup` through a VM snapshot: asked with --snapshot on 4.5, and by itself on 4.3 (no
 * checkpoints there). The run folder holds the disk as it was, its manifest says `snapshot`, and
 * the engine keeps no snapshot of ours afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmFolderName } from '../../main/engine/backup/set.js';
import { MiB, type Harness } from './helpers.js';
import { startCliHarness, type CliHarness } from './queue-cli-helpers.js';

for (const version of ['4.5', '4.3'] as const) {
  describe(`diskferry backup from a snapshot on ${version}`, () => {
    let h: Harness;
    let c: CliHarness;
    let close: () => Promise<void>;
    let vm: { id: string; name: string };
    let disk: string;
    let content: Buffer;
    beforeAll(async () => {
      ({ h, c, close } = await startCliHarness(version));
      const d = await h.client.createDisk({ name: `snap-cli-${version}`, provisionedSize: 16 * MiB, format: 'raw', sparse: true, storageDomain: { name: 'data-nfs' } });
      await h.client.waitForDiskOk(d.id);
      disk = d.id;
      const v = h.sim.engine.vms.create({ name: `snap-cli-vm-${version.replace('.', '')}`, status: 'up', disks: [disk] });
      vm = { id: v.id, name: v.name };
      content = randomBytes(MiB);
      await h.sim.engine.vms.write(disk, 2 * MiB, content);
    }, 60_000);
    afterAll(async () => {
      await close?.();
    });

    it(version === '4.5' ? 'backs a running VM up from a snapshot when asked (--snapshot)' : 'backs a running VM up from a snapshot by itself, and says why', async () => {
      const out = join(h.dir, 'snap-out');
      await mkdir(out, { recursive: true });
      const r = await c.cli('backup', vm.name, '--output', out, ...(version === '4.5' ? ['--snapshot'] : []), '--json', '--password-file', c.pw);
      expect(r.code, r.err).toBe(0);
      if (version === '4.3') expect(r.err).toMatch(/has no checkpoints: each VM is backed up from a snapshot/);
      else expect(r.err).not.toMatch(/has no checkpoints/);
      const result = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e['event'] === 'result')!;
      expect(result).toMatchObject({ vm_name: vm.name, kind: 'snapshot', run: expect.stringMatching(/-snapshot$/) });
      const run = result['run'] as string;
      expect(run.startsWith(join(out, vmFolderName(vm)))).toBe(true);
      const manifest = JSON.parse(await readFile(join(run, 'manifest.json'), 'utf8')) as { kind: string; disks: Array<{ id: string; file: string }> };
      expect(manifest.kind).toBe('snapshot');
      expect(manifest.disks.map((d) => d.id)).toEqual([disk]);
      // No snapshot of ours is left on the engine.
      expect([...h.sim.engine.state.snapshots.values()].filter((s) => s.vmId === vm.id && s.description?.startsWith('DiskFerry'))).toEqual([]);
      // An incremental from a snapshot cannot be: refused before anything is asked of the engine.
      const inc = await c.cli('backup', vm.name, '--output', out, '--incremental', ...(version === '4.5' ? ['--snapshot'] : []), '--password-file', c.pw);
      expect(inc.code).toBe(2);
      expect(inc.err).toMatch(version === '4.5' ? /--snapshot makes a full copy each time/ : /cannot make incremental backups/);
    }, 60_000);

    it(version === '4.5' ? 'queues a snapshot backup when asked (queue add backup --snapshot)' : 'queues a snapshot backup by itself, and says why', async () => {
      const out = join(h.dir, 'snap-queue');
      await mkdir(out, { recursive: true });
      const inc = await c.cli('queue', 'add', 'backup', vm.name, '--output', out, '--incremental', ...(version === '4.5' ? ['--snapshot'] : []), '--password-file', c.pw);
      expect(inc.code).toBe(2);
      const add = await c.cli('queue', 'add', 'backup', vm.name, '--output', out, '--now', ...(version === '4.5' ? ['--snapshot'] : []), '--password-file', c.pw);
      expect(add.code, add.err).toBe(0);
      if (version === '4.3') expect(add.err).toMatch(/has no checkpoints: each VM is backed up from a snapshot/);
      const run = await c.cli('queue', 'run', '--password-file', c.pw);
      expect(run.code, run.err).toBe(0);
      const done = (await c.cli('queue', 'list', '--json')).out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((j) => j['kind'] === 'backup' && j['output'] === out)!;
      expect(done).toMatchObject({ state: 'completed', result: { path: expect.stringMatching(/-snapshot$/), backup: { kind: 'snapshot', disks: [{ id: disk, mode: 'snapshot' }] } } });
      const manifest = JSON.parse(await readFile(join((done['result'] as { path: string }).path, 'manifest.json'), 'utf8')) as { kind: string };
      expect(manifest.kind).toBe('snapshot');
      expect([...h.sim.engine.state.snapshots.values()].filter((s) => s.vmId === vm.id && s.description?.startsWith('DiskFerry'))).toEqual([]);
    }, 120_000);
  });
}
