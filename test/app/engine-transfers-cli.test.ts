/**
 * A transfer that a killed `diskferry download` left open shows in the window as that command's, not
 * as another client's: the window reads the command line's local record of its plain commands'
 * transfers (engine/janitor/ledger.ts), as `diskferry transfers` does. Its owner is gone, so the
 * transfer is stuck, and ending it needs no "another client" confirmation. A `diskferry queue` job's
 * transfer shows as that job's (the window reads the queue file too): held while the job goes on
 * with it (also after its run was killed: the next run goes on), the window refusing to end it and
 * naming the queue command that can. The other way round, `diskferry transfers` reads the window's
 * queue from its file in the same folder and names a window job as its transfer's owner.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLineFiles } from '../../main/engine/config-dir.js';
import { processAlive } from '../../main/engine/janitor/ledger.js';
import { parseQueueDocument, type QueueDocument } from '../../main/engine/queue/store.js';
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
    h = await startCore({ core: { commandLine: commandLineFiles(join(base, 'config')) } });
    await h.call('engines:demo', undefined);
    c = new CliHarness({ sim: h.sim, dir: base });
    await c.setUp();
  });
  afterAll(async () => {
    c?.tearDown();
    await h?.close();
    await rm(base, { recursive: true, force: true });
  });

  /** A 16 MiB disk full of data and a folder for it, with the data slowed so its transfer stays open a while. */
  const slowDisk = async (name: string, folderName: string) => {
    const diskId = await addSimDisk(h.sim, name, 16 * MiB, [{ start: 0, length: 16 * MiB }]);
    const folder = join(base, folderName);
    await mkdir(folder);
    h.sim.faults.bandwidthBytesPerSecond = 512 * 1024;
    return { diskId, folder };
  };

  it('names the killed command as the owner of the transfer it left, and ends it without asking whose it is', { timeout: 90_000 }, async () => {
    const { diskId, folder: out } = await slowDisk('left-by-a-killed-command', 'out');
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

  it('names a diskferry queue job as the owner of its transfer, held while the job goes on, and says which command ends it', { timeout: 90_000 }, async () => {
    const { diskId, folder: out } = await slowDisk('queued-on-the-command-line', 'queued');
    const added = await c.cli('queue', 'add', 'download', diskId, '--output', out, '--password-file', c.pw);
    expect(added.code, added.err).toBe(0);
    const run = c.startRun();
    let job: { id: string; transferId: string | null } | undefined;
    const deadline = Date.now() + 60_000;
    while (!job?.transferId) {
      expect(Date.now(), `the job started no transfer; the run said: ${run.stderr.join('\n')}`).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
      const doc = parseQueueDocument(await readFile(join(base, 'config', 'queue.json'), 'utf8').then((t) => JSON.parse(t) as unknown, () => null));
      job = doc?.jobs.find((j) => j.diskId === diskId);
    }
    const { id, transferId } = job;
    const short = id.slice(0, 8);
    const owner = { kind: 'command-line-queue', label: `diskferry queue job queued-on-the-command-line (${short})`, jobId: null };
    const rowOf = async () => (await h.call('transfers:listEngine', { diskId })).transfers.find((t) => t.id === transferId);
    expect(await rowOf()).toMatchObject({ owner: { ...owner, live: true }, condition: 'held', endable: 'no' });
    const refused = await h.invoke('transfers:endEngine', { id: transferId, anotherClient: true });
    expect(refused).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(!refused.ok && refused.error.message).toContain(`diskferry queue cancel ${short}`);

    // The run is killed: the job is still the transfer's (the next run goes on with it).
    c.signal(run.child, 'SIGKILL');
    await run.exited;
    h.sim.faults.bandwidthBytesPerSecond = null;
    expect(await rowOf()).toMatchObject({ owner: { ...owner, live: true }, condition: 'held' });
    const cancel = await c.cli('queue', 'cancel', short);
    expect(cancel.code, cancel.err).toBe(0);
    // As the refusal said: cancelling the job there ended its transfer; the window lists it no more.
    expect(await rowOf()).toBeUndefined();
    expect(h.sim.engine.state.disks.get(diskId)!.status).toBe('ok');
  });

  it("diskferry transfers names a job of the window's queue as the owner of its transfer", { timeout: 90_000 }, async () => {
    const { diskId, folder } = await slowDisk('queued-in-the-window', 'window');
    const {
      queued: [queued],
    } = await h.call('transfers:addDownloads', { diskIds: [diskId], folder, format: 'raw', existing: 'overwrite' });
    const saved = () => h.store.documents.get('transfers') as { queue: QueueDocument } | undefined;
    const deadline = Date.now() + 60_000;
    while (!saved()?.queue.jobs.find((j) => j.id === queued!.id)?.transferId) {
      expect(Date.now(), 'the window job started no transfer').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 50));
    }
    const job = saved()!.queue.jobs.find((j) => j.id === queued!.id)!;
    // The window's queue as electron-store keeps it, in the folder both share (document-files.test.ts
    // checks that shape through the real store).
    await writeFile(join(base, 'config', 'transfers.json'), JSON.stringify({ document: saved() }));
    const listed = await c.cli('transfers', '--json', '--password-file', c.pw);
    expect(listed.code, listed.err).toBe(0);
    const row = listed.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((r) => r['id'] === job.transferId);
    expect(row).toMatchObject({ ours: true, owner: `DiskFerry window job ${job.label} (${job.id.slice(0, 8)})`, condition: 'held' });
    await h.call('transfers:cancel', { id: job.id });
    h.sim.faults.bandwidthBytesPerSecond = null;
  });
});
