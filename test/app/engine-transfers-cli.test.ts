/**
 * A transfer that a killed `diskferry download` left open shows in the window as that command's, not
 * as another client's: the window reads the command line's local record of its plain commands'
 * transfers (engine/janitor/ledger.ts), as `diskferry transfers` does. Its owner is gone, so the
 * transfer is stuck, and ending it needs no "another client" confirmation.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processAlive } from '../../main/engine/janitor/ledger.js';
import { MiB } from '../integration/helpers.js';
import { CliHarness } from '../integration/queue-cli-helpers.js';
import { addSimDisk } from '../integration/queue-helpers.js';
import { startCore, type CoreHarness } from './helpers.js';

describe('the engine transfers in the window, with the command line on the same machine', () => {
  let base: string;
  let h: CoreHarness;
  let c: CliHarness;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'diskferry-cli-records-'));
    // The CLI's config folder is `<base>/config` (CliHarness): the core reads its record of transfers there.
    h = await startCore({ core: { commandLineLedger: join(base, 'config', 'transfers') } });
    await h.call('engines:demo', undefined);
    c = new CliHarness({ sim: h.sim, dir: base });
    await c.setUp();
  });
  afterAll(async () => {
    c?.tearDown();
    await h?.close();
    await rm(base, { recursive: true, force: true });
  });

  it('names the killed command as the owner of the transfer it left, and ends it without asking whose it is', { timeout: 90_000 }, async () => {
    const diskId = await addSimDisk(h.sim, 'left-by-a-killed-command', 16 * MiB, [{ start: 0, length: 16 * MiB }]);
    const out = join(base, 'out');
    await mkdir(out);
    h.sim.faults.bandwidthBytesPerSecond = 512 * 1024;
    const run = c.start(['download', diskId, '--output', out, '--inactivity-timeout', '0', '--password-file', c.pw]);
    const records = join(base, 'config', 'transfers');
    let rec: { transferId: string | null; pid: number } | undefined;
    const deadline = Date.now() + 60_000;
    while (!rec?.transferId) {
      expect(Date.now(), `no transfer recorded; the command said: ${run.stderr.join('\n')}`).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
      const names = (await readdir(records).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
      rec = (await Promise.all(names.map((n) => readFile(join(records, n), 'utf8').then((t) => JSON.parse(t) as typeof rec, () => undefined)))).find((r) => r?.transferId);
    }
    c.signal(run.child, 'SIGKILL');
    await run.exited;
    while (await processAlive(rec.pid)) await new Promise((r) => setTimeout(r, 50));
    h.sim.faults.bandwidthBytesPerSecond = null;

    const { transfers } = await h.call('transfers:listEngine', { diskId });
    const row = transfers.find((t) => t.id === rec.transferId);
    expect(row).toMatchObject({
      direction: 'download',
      owner: { kind: 'process', label: `diskferry download (process ${rec.pid})`, live: false },
      condition: 'stuck',
      endable: 'stuck',
    });
    const end = await h.call('transfers:endEngine', { id: rec.transferId });
    expect(end).toMatchObject({ action: 'finalized', disk: 'ok' });
    expect(h.sim.engine.state.disks.get(diskId)!.status).toBe('ok');
  });
});
