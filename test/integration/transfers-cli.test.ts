/**
 * `diskferry transfers` and `diskferry transfers clean` against the simulator on 4.1, 4.3 and 4.5:
 * another client's stuck upload (paused_system, nobody behind it), another client's download that
 * may be in use, and what killed plain commands of ours left open (their local record names them):
 * a download, which the next command of any kind finalizes, and an upload, which `clean` ends.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaveForeignTransfers } from '../../main/simulator/foreign-transfers.js';
import { MiB, startHarness, VERSIONS, type Harness } from './helpers.js';
import { CliHarness } from './queue-cli-helpers.js';
import { addSimDisk } from './queue-helpers.js';

interface Row {
  id: string;
  direction: string;
  phase: string;
  disk_id: string;
  ours: boolean;
  owner: string | null;
  condition: string;
  host_name: string | null;
}

describe.each(VERSIONS)('diskferry transfers, engine %s', (version) => {
  let h: Harness;
  let c: CliHarness;
  let stuckUpload: { diskId: string; transferId: string };
  let otherDownload: { diskId: string; transferId: string };
  let ourDownload: { diskId: string; transferId: string };
  let ourUpload: { diskId: string; transferId: string };

  beforeAll(async () => {
    h = await startHarness(version);
    c = new CliHarness(h);
    await c.setUp();
    // Another client's upload the engine paused while starting it, and nobody resumed; and another
    // client's download, open and ready: it may be reading at any moment.
    const foreign = await leaveForeignTransfers(h.sim);
    stuckUpload = foreign.stuckUpload;
    otherDownload = foreign.openDownload;
    const sd = await h.client.storageDomain('data-nfs');
    // A plain `diskferry download` and `upload` of ours killed in the middle: their transfers, and their local records with a dead process.
    const ourDisk = await addSimDisk(h.sim, `our-dl-${version}`, 4 * MiB, [{ start: 0, length: MiB }]);
    ourDownload = { diskId: ourDisk, transferId: (await h.client.createTransfer({ diskId: ourDisk, direction: 'download', format: 'raw', inactivityTimeout: 0 })).id };
    const upDisk = await h.client.createDisk({ name: `our-up-${version}`, provisionedSize: 4 * MiB, format: 'raw', sparse: true, storageDomain: { id: sd.id } });
    await h.client.waitForDiskOk(upDisk.id, { timeoutMs: 10_000 });
    ourUpload = { diskId: upDisk.id, transferId: (await h.client.createTransfer({ diskId: upDisk.id, direction: 'upload', format: 'raw', inactivityTimeout: 0 })).id };
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await mkdir(join(c.configDir, 'transfers'), { recursive: true });
    const record = (name: string, direction: string, ids: { diskId: string; transferId: string }) =>
      writeFile(
        join(c.configDir, 'transfers', `${name}.json`),
        JSON.stringify({ version: 1, engine: h.client.engineHost, direction, ...ids, pid: dead, host: hostname(), command: direction, startedAt: Date.now() - 60_000 }),
      );
    await record('killed-download', 'download', ourDownload);
    await record('killed-upload', 'upload', ourUpload);
  });
  afterAll(async () => {
    c?.tearDown();
    await h?.close();
  });

  const phaseOf = (id: string) => h.sim.engine.state.transfers.get(id)?.phase ?? 'gone';
  const diskStatus = (id: string) => h.sim.engine.state.disks.get(id)?.status ?? 'gone';
  const rows = async (...extra: string[]): Promise<Row[]> => {
    const r = await c.cli('transfers', '--json', '--password-file', c.pw, ...extra);
    expect(r.code, r.err).toBe(0);
    return r.out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
  };

  it('finalizes, at the next command of any kind, the download a killed plain command left open', async () => {
    expect(diskStatus(ourDownload.diskId)).toBe('locked');
    const r = await c.cli('disks', '--password-file', c.pw);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(new RegExp(`A download interrupted earlier \\(process \\d+\\) left its transfer open\\. Finalized download transfer ${ourDownload.transferId}`));
    expect(diskStatus(ourDownload.diskId)).toBe('ok');
    expect(['finished_success', 'gone']).toContain(phaseOf(ourDownload.transferId));
    // Its record is gone: the next command has nothing more to do.
    expect((await c.cli('disks', '--password-file', c.pw)).err).not.toMatch(/interrupted earlier/);
  });

  it('lists every open transfer, ours marked, with what each is doing', async () => {
    const listed = await rows();
    const byId = new Map(listed.map((r) => [r.id, r]));
    expect(byId.get(stuckUpload.transferId)).toMatchObject({ direction: 'upload', phase: 'paused_system', disk_id: stuckUpload.diskId, ours: false, condition: 'stuck' });
    expect(byId.get(ourUpload.transferId)).toMatchObject({ direction: 'upload', phase: 'transferring', ours: true, condition: 'stuck' });
    expect(byId.get(ourUpload.transferId)!.owner).toMatch(/diskferry upload \(process \d+\)/);
    // Another client's open download is left alone: maybe in use (4.3+), or the engine says too little (4.1).
    expect(byId.get(otherDownload.transferId)).toMatchObject({ ours: false, condition: version === '4.1' ? 'unknown' : 'moving' });
    expect(byId.get(otherDownload.transferId)!.host_name).toBeTruthy();
    expect(byId.has(ourDownload.transferId)).toBe(false);
    const table = await c.cli('transfers', '--password-file', c.pw);
    expect(table.out).toMatch(/TRANSFER\s+DIRECTION\s+PHASE\s+DISK\s+HOST\s+OWNER\s+IDLE\s+STATE/);
    expect(table.out).toContain('left-by-another-client-upload');
    expect(table.out).toMatch(/2 stuck/);
  });

  it("does not take another client's transfer for a queue job's that the engine refused on the locked disk", async () => {
    const out = join(h.dir, `locked-${version}`);
    await mkdir(out, { recursive: true });
    expect((await c.cli('queue', 'add', 'download', otherDownload.diskId, '--output', out, '--password-file', c.pw)).code).toBe(0);
    const run = await c.cli('queue', 'run', '--retries', '0', '--password-file', c.pw);
    expect(run.code).toBe(1);
    expect(run.out + run.err).toMatch(/is locked; it can be downloaded only when it is ok\. .*see the transfers on this disk \('diskferry transfers'/);
    const other = (await rows()).find((r) => r.id === otherDownload.transferId);
    expect(other).toMatchObject({ ours: false, owner: null, condition: version === '4.1' ? 'unknown' : 'moving' });
    expect(diskStatus(otherDownload.diskId)).toBe('locked');
  });

  it('--dry-run says what it would do and changes nothing', async () => {
    const r = await c.cli('transfers', 'clean', '--dry-run', '--password-file', c.pw);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(new RegExp(`Would cancel upload transfer ${ourUpload.transferId}.*deletes its disk 'our-up-${version}'`));
    expect(r.out).toMatch(new RegExp(`Would cancel upload transfer ${stuckUpload.transferId}.*deletes its disk 'left-by-another-client-upload'`));
    expect(r.out).not.toContain(otherDownload.transferId);
    expect(phaseOf(stuckUpload.transferId)).toBe('paused_system');
    expect(diskStatus(ourUpload.diskId)).toBe('locked');
  });

  it('--older-than picks only what was seen idle that long', async () => {
    const r = await c.cli('transfers', 'clean', '--older-than', '1h', '--password-file', c.pw);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/Nothing to clean: 2 stuck, none seen idle for/);
    expect(diskStatus(ourUpload.diskId)).toBe('locked');
  });

  it('asks before ending an upload (its disk goes), ends the stuck ones, and leaves the other client alone', async () => {
    const first = await c.cli('transfers', 'clean', '--password-file', c.pw);
    expect(first.code).toBe(1);
    expect(first.err).toMatch(/Left upload transfer .* as it is: ending it deletes disk 'left-by-another-client-upload'.*Pass --yes/);
    expect(diskStatus(stuckUpload.diskId)).toBe('locked');
    expect(diskStatus(ourUpload.diskId)).toBe('locked');

    const second = await c.cli('transfers', 'clean', '--yes', '--password-file', c.pw);
    expect(second.code, second.err).toBe(0);
    expect(second.out).toContain(`Cancelled upload transfer ${stuckUpload.transferId}; its disk ${stuckUpload.diskId} was removed.`);
    expect(second.out).toContain(`Cancelled upload transfer ${ourUpload.transferId}; its disk ${ourUpload.diskId} was removed.`);
    expect(diskStatus(stuckUpload.diskId)).toBe('gone');
    expect(diskStatus(ourUpload.diskId)).toBe('gone');
    const after = await rows();
    expect(['moving', 'unknown']).toContain(after.find((r) => r.id === otherDownload.transferId)?.condition);
    expect(diskStatus(otherDownload.diskId)).toBe('locked');
    // The local record of the killed run went with its transfer.
    expect(after.some((r) => r.ours)).toBe(false);
  });

  it("ends another client's transfer only when named by id", async () => {
    const r = await c.cli('transfers', 'clean', otherDownload.transferId, '--password-file', c.pw);
    expect(r.code, r.err).toBe(0);
    expect(diskStatus(otherDownload.diskId)).toBe('ok');
    expect(['finished_success', 'gone']).toContain(phaseOf(otherDownload.transferId));
    const unknown = await c.cli('transfers', 'clean', '00000000-0000-4000-8000-000000000000', '--password-file', c.pw);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/no transfer 00000000-0000-4000-8000-000000000000/);
  });
});
