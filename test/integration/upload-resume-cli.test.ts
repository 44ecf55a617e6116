/**
 * `diskferry upload --resume`: a plain upload killed with SIGKILL (a real child process) continues on
 * its disk, sending only what the server had not flushed; a file changed since starts over and says
 * why; with no interrupted upload it uploads from the start and says so.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UploadJournal } from '../../main/engine/transfer/upload-journal.js';
import { expectEngineClean } from '../reliability/engine-checks.js';
import { expectDiskEqualsFile, makeSparseImage, MiB, transferPhasesOf, type DataRun, type Harness } from './helpers.js';
import { startCliHarness, type CliHarness } from './queue-cli-helpers.js';

const SIZE = 48 * MiB;
const RUNS: readonly DataRun[] = [
  { start: 0, length: 16 * MiB },
  { start: 24 * MiB, length: 16 * MiB },
];
/** The data runs as planned ranges: what the journal must hold of the data (zero runs enter it at once). */
const DATA_RANGES = RUNS.map((r) => ({ ...r, zero: false }));

describe('diskferry upload --resume', () => {
  let h: Harness;
  let c: CliHarness;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ h, c, close } = await startCliHarness());
  });
  afterAll(() => close?.());

  const journals = () => join(c.configDir, 'uploads');

  /** Starts `diskferry upload FILE` (1 MiB between flushes, 8 MiB/s) and kills it once its journal holds `bytes`. */
  async function killedUpload(file: string, name: string, bytes: number): Promise<{ diskId: string; journaled: number }> {
    h.sim.faults.bandwidthBytesPerSecond = 8 * MiB;
    const run = c.start(['upload', file, '--storage-domain', 'data-nfs', '--name', name, '--workers', '1', '--json', '--password-file', c.pw], { DISKFERRY_UPLOAD_FLUSH_EVERY: String(MiB) });
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
    h.resetFaults();
    const journal = (await UploadJournal.load(journals(), file, found!.identity.diskId))!;
    return { diskId: journal.identity.diskId, journaled: journal.coveredBytes(DATA_RANGES) };
  }

  function resultOf(out: string): Record<string, unknown> {
    return out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e['event'] === 'result')!;
  }

  it('continues a killed upload on its disk and sends only what the server had not flushed', { timeout: 90_000 }, async () => {
    const file = join(h.dir, 'cli-resume.raw');
    await makeSparseImage(file, SIZE, RUNS);
    const { diskId, journaled } = await killedUpload(file, 'cli-resume', 6 * MiB);
    expect(h.sim.engine.state.disks.get(diskId)!.status).toBe('locked');
    const image = h.sim.images.get(diskId)!;
    // The server may still be writing what the killed process had sent: wait until it settles.
    for (let last = -1; last !== image.bytesWritten; ) {
      last = image.bytesWritten;
      await new Promise((r) => setTimeout(r, 300));
    }
    const before = image.bytesWritten;

    const r = await c.cli('upload', file, '--storage-domain', 'data-nfs', '--name', 'cli-resume', '--resume', '--json', '--password-file', c.pw);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/continuing the interrupted upload of .*cli-resume\.raw on disk 'cli-resume'/);
    const result = resultOf(r.out);
    expect(result['disk_id']).toBe(diskId);
    const kept = Number(result['resumed_bytes']);
    expect(kept).toBeGreaterThan(journaled - MiB);
    expect(kept).toBeLessThanOrEqual(journaled);
    // The server received the rest of the data, nothing it already had.
    expect(image.bytesWritten - before, JSON.stringify({ kept, journaled, result })).toBe(Number(result['data_bytes']) - kept);
    expect(result['verified']).toBe(true);
    await expectDiskEqualsFile(h.sim, diskId, file);
    expect([...h.sim.engine.state.disks.values()].filter((d) => d.name === 'cli-resume')).toHaveLength(1);
    expect(transferPhasesOf(h.sim, diskId).every((p) => p === 'finished_success')).toBe(true);
    expect(await readdir(journals())).toEqual([]);
    await expectEngineClean(h.sim, (d) => d.name === 'cli-resume');
  });

  it('starts over when the file changed since the interrupted upload, removing its disk, and says why', { timeout: 90_000 }, async () => {
    const file = join(h.dir, 'cli-changed.raw');
    await makeSparseImage(file, SIZE, RUNS);
    const { diskId } = await killedUpload(file, 'cli-changed', 4 * MiB);
    await writeFile(file, Buffer.alloc(MiB, 7), { flag: 'r+' });

    const r = await c.cli('upload', file, '--storage-domain', 'data-nfs', '--name', 'cli-changed', '--resume', '--json', '--password-file', c.pw);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/cli-changed\.raw changed since the upload began .*: the interrupted upload is not continued; its disk 'cli-changed' .* is removed/);
    const result = resultOf(r.out);
    expect(result['disk_id']).not.toBe(diskId);
    expect(Number(result['resumed_bytes'])).toBe(0);
    expect(h.sim.engine.state.disks.has(diskId)).toBe(false);
    expect([...h.sim.engine.state.disks.values()].filter((d) => d.name === 'cli-changed')).toHaveLength(1);
    await expectDiskEqualsFile(h.sim, String(result['disk_id']), file);
    expect(await readdir(journals())).toEqual([]);
    await expectEngineClean(h.sim, (d) => d.name === 'cli-changed');
  });

  it('uploads from the start, and says so, when there is nothing to resume', { timeout: 60_000 }, async () => {
    const file = join(h.dir, 'cli-nothing.raw');
    await makeSparseImage(file, 8 * MiB, [{ start: 0, length: MiB }]);
    const r = await c.cli('upload', file, '--storage-domain', 'data-nfs', '--resume', '--password-file', c.pw);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/no interrupted upload of .*cli-nothing\.raw to a disk named 'cli-nothing' on this engine: it is uploaded from the start/);
  });
});
