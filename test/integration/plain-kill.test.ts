/**
 * Plain commands leave nothing behind: a `diskferry download` killed with SIGKILL in the middle of
 * its data keeps the disk locked only until the next command of any kind runs, which finalizes the
 * transfer through the local record the download wrote before asking the engine for it.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processAlive } from '../../main/engine/janitor/ledger.js';
import { MiB, startHarness, type Harness } from './helpers.js';
import { CliHarness } from './queue-cli-helpers.js';
import { addSimDisk } from './queue-helpers.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

describe('a killed plain download', () => {
  let h: Harness;
  let c: CliHarness;
  beforeAll(async () => {
    h = await startHarness('4.5');
    c = new CliHarness(h);
    await c.setUp();
  });
  afterAll(async () => {
    c?.tearDown();
    await h?.close();
  });

  const records = async () => {
    const dir = join(c.configDir, 'transfers');
    // Whole records only: a save in flight is a temporary file renamed over the record.
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
    const read = await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8').then((t) => JSON.parse(t) as { transferId: string | null; diskId: string; pid: number }, () => null)));
    return read.filter((r) => r !== null);
  };

  it('leaves no record after a run that ended', async () => {
    const diskId = await addSimDisk(h.sim, 'plain-ok', 4 * MiB, [{ start: 0, length: MiB }]);
    const out = join(h.dir, 'ok');
    await mkdir(out);
    const r = await c.cli('download', diskId, '--output', out, '--password-file', c.pw);
    expect(r.code, r.err).toBe(0);
    expect(await records()).toEqual([]);
  });

  it('is finalized by the next command, through the record it wrote', async () => {
    const diskId = await addSimDisk(h.sim, 'plain-killed', 16 * MiB, [{ start: 0, length: 16 * MiB }]);
    const out = join(h.dir, 'killed');
    await mkdir(out);
    h.sim.faults.bandwidthBytesPerSecond = 512 * 1024;
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', 'download', diskId, '--output', out, '--inactivity-timeout', '0', '--password-file', c.pw], {
      cwd: ROOT,
      env: { ...process.env, DISKFERRY_CONFIG_DIR: c.configDir },
      detached: true,
      stdio: 'ignore',
    });
    const exited = new Promise((res) => child.on('exit', res));
    try {
      // Wait until the engine holds the transfer and the record names it.
      const deadline = Date.now() + 60_000;
      let rec: { transferId: string | null; pid: number } | undefined;
      while (!(rec = (await records()).find((x) => x.transferId))) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((res) => setTimeout(res, 100));
      }
      await new Promise((res) => setTimeout(res, 500));
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
      // The record names the node process tsx started: wait until the kill has reached it too.
      const pid = rec.pid;
      while (await processAlive(pid)) await new Promise((res) => setTimeout(res, 50));
      h.resetFaults();
      expect(h.sim.engine.state.disks.get(diskId)!.status).toBe('locked');
      const next = await c.cli('storage-domains', '--password-file', c.pw);
      expect(next.code, next.err).toBe(0);
      expect(next.err).toContain(`Finalized download transfer ${rec.transferId}`);
      expect(h.sim.engine.state.disks.get(diskId)!.status).toBe('ok');
      expect(await records()).toEqual([]);
    } finally {
      h.resetFaults();
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }, 120_000);
});
