/**
 * A queued upload killed with `queue run` (SIGKILL of a real child process) continues from its
 * journal after the restart: the simulated imageio receives only the data the journal did not hold.
 * A file changed between the runs is started over on a new disk, and the job's notes say why.
 */
import { readFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQueueDocument, type QueueDocument } from '../../main/engine/queue/store.js';
import { UploadJournal } from '../../main/engine/transfer/upload-journal.js';
import { expectEngineClean } from '../reliability/engine-checks.js';
import { expectDiskEqualsFile, makeSparseImage, MiB, type DataRun, type Harness } from './helpers.js';
import { startCliHarness, type CliHarness } from './queue-cli-helpers.js';

const SIZE = 48 * MiB;
const RUNS: readonly DataRun[] = [
  { start: 0, length: 16 * MiB },
  { start: 24 * MiB, length: 16 * MiB },
];
/** The data runs as planned ranges: what the journal must hold of the data (zero runs enter it at once). */
const DATA_RANGES = RUNS.map((r) => ({ ...r, zero: false }));
const ENV = { DISKFERRY_UPLOAD_FLUSH_EVERY: String(MiB) };

describe('transfer queue: a killed upload resumes by range', () => {
  let h: Harness;
  let c: CliHarness;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ h, c, close } = await startCliHarness());
  });
  afterAll(() => close?.());

  const journals = () => join(c.configDir, 'uploads');
  const queueDoc = async (): Promise<QueueDocument> => parseQueueDocument(JSON.parse(await readFile(join(c.configDir, 'queue.json'), 'utf8')))!;

  /** Queues `file`, runs the queue and kills it once the upload's journal holds `bytes`; returns the job's disk. */
  async function killedRun(file: string, name: string, bytes: number): Promise<string> {
    const added = await c.cli('queue', 'add', 'upload', file, '--storage-domain', 'data-nfs', '--name', name, '--now', '--password-file', c.pw);
    expect(added.code, added.err).toBe(0);
    const run = c.start(['queue', 'run', '--json', '--password-file', c.pw, '--limit', '8MiB/s', '--workers', '1'], ENV);
    const deadline = Date.now() + 30_000;
    let found: UploadJournal | undefined;
    while (Date.now() < deadline && run.child.exitCode === null) {
      found = (await UploadJournal.find(journals(), file, null))[0];
      if (found && found.coveredBytes(DATA_RANGES) >= bytes) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(found?.coveredBytes(DATA_RANGES) ?? 0, run.stderr.join('\n')).toBeGreaterThanOrEqual(bytes);
    c.signal(run.child, 'SIGKILL');
    await run.exited;
    return found!.identity.diskId;
  }

  /** Waits until the server stopped writing what a killed process had sent. */
  async function settled(diskId: string): Promise<number> {
    const image = h.sim.images.get(diskId)!;
    for (let last = -1; last !== image.bytesWritten; ) {
      last = image.bytesWritten;
      await new Promise((r) => setTimeout(r, 300));
    }
    return image.bytesWritten;
  }

  it('continues the transfer and sends only the data its journal did not hold', { timeout: 90_000 }, async () => {
    const file = join(h.dir, 'q-resume.raw');
    await makeSparseImage(file, SIZE, RUNS);
    const diskId = await killedRun(file, 'q-resume', 6 * MiB);
    const before = await settled(diskId);

    const second = c.start(['queue', 'run', '--json', '--password-file', c.pw], ENV);
    expect(await second.exited, second.stderr.join('\n')).toBe(0);
    const job = (await queueDoc()).jobs.find((j) => j.label === 'q-resume')!;
    expect(job.state).toBe('completed');
    const r = job.result!;
    expect(r.diskId).toBe(diskId);
    expect(r.resumedBytes, second.stderr.join('\n') + JSON.stringify(job.notes)).toBeGreaterThanOrEqual(5 * MiB);
    expect(h.sim.images.get(diskId)!.bytesWritten - before).toBe(r.dataBytes - r.resumedBytes);
    expect(r.bytesOnWire).toBe(r.dataBytes - r.resumedBytes);
    expect(r.checksum?.verified).toBe(true);
    expect(job.notes.join(' ')).toMatch(/Continued transfer .* after an interruption \(\d+ of \d+ data bytes were already on the server and not sent again\)/);
    await expectDiskEqualsFile(h.sim, diskId, file);
    expect((await UploadJournal.find(journals(), file, null)).length).toBe(0);
    await expectEngineClean(h.sim, (d) => d.name === 'q-resume');
  });

  it('starts a file changed between the runs over on a new disk, and says why', { timeout: 90_000 }, async () => {
    const file = join(h.dir, 'q-changed.raw');
    await makeSparseImage(file, SIZE, RUNS);
    const diskId = await killedRun(file, 'q-changed', 4 * MiB);
    await utimes(file, new Date(), new Date(Date.now() + 5000));

    const second = c.start(['queue', 'run', '--json', '--password-file', c.pw], ENV);
    expect(await second.exited, second.stderr.join('\n')).toBe(0);
    const job = (await queueDoc()).jobs.find((j) => j.label === 'q-changed')!;
    expect(job.state).toBe('completed');
    expect(job.result!.diskId).not.toBe(diskId);
    expect(job.result!.resumedBytes).toBe(0);
    expect(job.notes.join(' ')).toMatch(/q-changed\.raw changed since the upload began .*: the upload started over on a new disk\./);
    expect(h.sim.engine.state.disks.has(diskId)).toBe(false);
    expect([...h.sim.engine.state.disks.values()].filter((d) => d.name === 'q-changed')).toHaveLength(1);
    await expectDiskEqualsFile(h.sim, job.result!.diskId, file);
    expect((await UploadJournal.find(journals(), file, null)).length).toBe(0);
    await expectEngineClean(h.sim, (d) => d.name === 'q-changed');
  });
});
