/**
 * `diskferry queue run` killed with SIGKILL in the middle of a download and an upload, then started
 * again: the download continues from its journal without fetching the journaled ranges again, the
 * upload re-attaches to its transfer (same disk, nothing duplicated, nothing left locked), and both
 * end with the right bytes. Real child processes against the simulator running in this process.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQueueDocument } from '../../main/engine/queue/store.js';
import { PartFile } from '../../main/engine/transfer/part-file.js';
import { RangeSet } from '../../shared/range-set.js';
import { expectDiskEqualsFile, expectFileEqualsDisk, exists, makeSparseImage, MiB, transferPhasesOf, until, type DataRun, type Harness } from './helpers.js';
import { startCliHarness, type CliHarness } from './queue-cli-helpers.js';
import { addSimDisk, downloadPath } from './queue-helpers.js';

/** Data bytes of `runs` that the journal of a part file marks done. */
async function journaledData(finalPath: string, runs: readonly DataRun[]): Promise<number> {
  const text = await readFile(PartFile.journalPath(finalPath), 'utf8').catch(() => null);
  if (!text) return 0;
  const done = RangeSet.from((JSON.parse(text) as { done: Array<[number, number]> }).done.map(([start, end]) => ({ start, end })));
  return runs.reduce((sum, r) => sum + [...done.within(r.start, r.start + r.length)].reduce((s, d) => s + (d.end - d.start), 0), 0);
}

describe('transfer queue: kill -9 and restart', () => {
  let h: Harness;
  let c: CliHarness;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ h, c, close } = await startCliHarness());
  });
  afterAll(() => close?.());

  it('finishes a killed download and upload after a restart, without re-sending journaled ranges', { timeout: 60_000 }, async () => {
    const out = join(h.dir, 'out');
    await mkdir(out);
    const dlRuns: DataRun[] = [
      { start: MiB, length: 12 * MiB },
      { start: 32 * MiB, length: 12 * MiB },
    ];
    const diskId = await addSimDisk(h.sim, 'kill-dl', 64 * MiB, dlRuns);
    const file = join(h.dir, 'kill-up.raw');
    // More data than the download, so it is surely still sending when the download's journal has a piece.
    await makeSparseImage(file, 64 * MiB, [
      { start: 0, length: 20 * MiB },
      { start: 40 * MiB, length: 20 * MiB },
    ]);
    expect((await c.cli('queue', 'add', 'download', diskId, '--output', out, '--password-file', c.pw)).code).toBe(0);
    const added = await c.cli('queue', 'add', 'upload', file, '--storage-domain', 'data-nfs', '--password-file', c.pw);
    expect(added.code, added.err).toBe(0);

    // One connection per transfer at 8 MiB/s in all: the download takes about 6 s, the upload 10 s.
    const first = c.startRun('--limit', '8MiB/s', '--workers', '1');
    const target = downloadPath(out, 'kill-dl');
    const uploadJob = () => first.events.filter((e) => e['kind'] === 'upload' && e['disk_id']).at(-1);
    await until(() => uploadJob() !== undefined && Number(uploadJob()!['on_wire']) >= 2 * MiB, 30_000, `upload bytes moving (${first.stderr.join('\n')})`);
    let journaled = 0;
    const deadline = Date.now() + 15_000;
    while ((journaled = await journaledData(target, dlRuns)) < 4 * MiB && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(journaled).toBeGreaterThanOrEqual(4 * MiB);
    c.signal(first.child, 'SIGKILL');
    await first.exited;

    // What the dead run left: both jobs running, with the engine objects they had created.
    const doc = parseQueueDocument(JSON.parse(await readFile(join(c.configDir, 'queue.json'), 'utf8')))!;
    const up = doc.jobs.find((j) => j.kind === 'upload')!;
    const dl = doc.jobs.find((j) => j.kind === 'download')!;
    expect(up.state).toBe('transferring');
    expect(dl.state).toBe('transferring');
    expect(up.diskId).not.toBeNull();
    expect(up.transferId).not.toBeNull();
    expect(dl.transferId).not.toBeNull();
    expect(transferPhasesOf(h.sim, up.diskId!)).toEqual(['transferring']);
    expect(h.sim.engine.state.disks.get(diskId)!.status).toBe('locked');
    const journaledAtKill = await journaledData(target, dlRuns);
    expect(await exists(target)).toBe(false);
    // queue list says what the file cannot: no run is there, and the two go on with the next one.
    const listed = await c.cli('queue', 'list');
    expect(listed.out.endsWith('No queue run is active: the 2 jobs shown moving were cut short, and continue where they stopped when diskferry queue run starts.\n')).toBe(true);

    const second = c.startRun();
    const code = await second.exited;
    expect(code, second.stderr.join('\n')).toBe(0);

    const after = parseQueueDocument(JSON.parse(await readFile(join(c.configDir, 'queue.json'), 'utf8')))!;
    const up2 = after.jobs.find((j) => j.kind === 'upload')!;
    const dl2 = after.jobs.find((j) => j.kind === 'download')!;
    expect([up2.state, dl2.state]).toEqual(['completed', 'completed']);

    // The download: right bytes, and only what the journal did not hold crossed the network again.
    await expectFileEqualsDisk(h.sim, diskId, target);
    expect(dl2.result!.resumedBytes).toBeGreaterThanOrEqual(journaledAtKill);
    expect(dl2.result!.bytesOnWire).toBe(dl2.result!.dataBytes - dl2.result!.resumedBytes);
    expect(transferPhasesOf(h.sim, diskId).every((p) => p === 'finished_success')).toBe(true);
    expect(h.sim.engine.state.disks.get(diskId)!.status).toBe('ok');

    // The upload: the same disk and transfer, continued; one disk of that name; nothing left open.
    expect(up2.result!.diskId).toBe(up.diskId);
    await expectDiskEqualsFile(h.sim, up.diskId!, file);
    expect([...h.sim.engine.state.disks.values()].filter((d) => d.name === 'kill-up')).toHaveLength(1);
    expect(transferPhasesOf(h.sim, up.diskId!)).toEqual(['finished_success']);
    expect(up2.notes.join(' ')).toMatch(/Continued transfer/);

    // The report lists both, and the lock is gone.
    const report = await c.cli('queue', 'report', '--json');
    const rows = (JSON.parse(report.out.trim().split('\n').at(-1)!) as { rows: Array<{ jobId: string; outcome: string }> }).rows;
    expect(rows.map((r) => [r.jobId, r.outcome]).sort()).toEqual(
      [
        [dl.id, 'completed'],
        [up.id, 'completed'],
      ].sort(),
    );
    expect(await exists(join(c.configDir, 'queue.lock'))).toBe(false);
    expect(second.events.some((e) => e['event'] === 'report')).toBe(true);
  });
});
