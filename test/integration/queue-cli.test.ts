/**
 * `diskferry queue …` end to end: add, list, move, priority, remove, run (JSON lines), report (JSON,
 * CSV and files), `download --search` and `download --all`, and a running `queue run` that takes jobs
 * handed to it by `queue add` and stops cleanly on SIGTERM.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQueueDocument } from '../../main/engine/queue/store.js';
import { exists, expectDiskEqualsFile, expectFileEqualsDisk, expectFileEqualsSeed, KiB, makeSparseImage, MiB, seededDiskId, until, type Harness } from './helpers.js';
import { startCliHarness, type CliHarness } from './queue-cli-helpers.js';
import { addSimDisk, downloadPath } from './queue-helpers.js';

describe('diskferry queue', () => {
  let h: Harness;
  let c: CliHarness;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ h, c, close } = await startCliHarness());
  });
  afterAll(() => close?.());

  const listed = async () => (await c.cli('queue', 'list', '--json')).out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { job: string; name: string; state: string; priority: number });
  const queueDoc = async () => parseQueueDocument(JSON.parse(await readFile(join(c.configDir, 'queue.json'), 'utf8')))!;

  it('adds, reorders, removes and runs jobs, and reports them', async () => {
    const out = join(h.dir, 'out1');
    await mkdir(out);
    const files: string[] = [];
    for (const name of ['cli-a', 'cli-b', 'cli-c']) {
      const f = join(h.dir, `${name}.raw`);
      await makeSparseImage(f, 2 * MiB, [{ start: 0, length: 256 * KiB }]);
      files.push(f);
    }
    const diskId = await addSimDisk(h.sim, 'cli-dl', 4 * MiB, [{ start: MiB, length: 512 * KiB }]);
    const addUp = await c.cli('queue', 'add', 'upload', ...files, '--storage-domain', 'data-nfs', '--password-file', c.pw);
    expect(addUp.code, addUp.err).toBe(0);
    expect(addUp.out).toMatch(/Queued [0-9a-f]{8}: upload cli-a/);
    expect((await c.cli('queue', 'add', 'download', 'cli-dl', '--output', out, '--password-file', c.pw)).code).toBe(0);
    const dup = await c.cli('queue', 'add', 'upload', files[0]!, '--storage-domain', 'data-nfs', '--password-file', c.pw);
    expect(dup.code).toBe(1);
    expect(dup.err).toMatch(/already in the queue/);
    const bad = await c.cli('queue', 'add', 'upload', join(h.dir, 'missing.raw'), '--storage-domain', 'data-nfs', '--password-file', c.pw);
    expect(bad.code).not.toBe(0);

    let jobs = await listed();
    expect(jobs.map((j) => j.name)).toEqual(['cli-a', 'cli-b', 'cli-c', 'cli-dl']);
    const moved = await c.cli('queue', 'move', jobs[3]!.job.slice(0, 8), 'top');
    expect(moved.code, moved.err).toBe(0);
    expect(moved.out).toBe(`Moved ${jobs[3]!.job.slice(0, 8)} cli-dl to the top.\n`);
    const priority = await c.cli('queue', 'priority', jobs[2]!.job.slice(0, 8), '5');
    expect(priority.code, priority.err).toBe(0);
    expect(priority.out).toBe(`${jobs[2]!.job.slice(0, 8)} cli-c now has priority 5 (higher runs first).\n`);
    expect((await c.cli('queue', 'remove', jobs[1]!.job.slice(0, 8))).code).toBe(0);
    jobs = await listed();
    expect(jobs.map((j) => [j.name, j.priority])).toEqual([
      ['cli-dl', 0],
      ['cli-a', 0],
      ['cli-c', 5],
    ]);
    const text = await c.cli('queue', 'list');
    expect(text.out).toMatch(/ID\s+STATE\s+KIND\s+NAME/);

    const run = await c.cli('queue', 'run', '--json', '--concurrency', '1', '--password-file', c.pw);
    expect(run.code, run.err).toBe(0);
    const lines = run.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // One at a time, by priority, then in queue order.
    const started = lines.filter((e) => e['event'] === 'state' && e['state'] === 'preparing').map((e) => e['name']);
    expect(started).toEqual(['cli-c', 'cli-dl', 'cli-a']);
    expect(lines.filter((e) => e['event'] === 'progress').length).toBeGreaterThan(0);
    const reportEvent = lines.find((e) => e['event'] === 'report') as { report: { rows: Array<{ source: string; outcome: string }> } };
    expect(reportEvent.report.rows.map((r) => r.outcome)).toEqual(['completed', 'completed', 'completed']);

    const doc = await queueDoc();
    for (const j of doc.jobs) expect(j.state).toBe('completed');
    for (const f of [files[0]!, files[2]!]) await expectDiskEqualsFile(h.sim, doc.jobs.find((j) => j.kind === 'upload' && j.upload.path === f)!.result!.diskId, f);
    await expectFileEqualsDisk(h.sim, diskId, downloadPath(out, 'cli-dl'));

    const csv = await c.cli('queue', 'report', '--csv');
    expect(csv.out.split('\r\n')[0]).toMatch(/^jobId,kind,engine,source,target,size,bytes/);
    expect(csv.out.trimEnd().split('\r\n')).toHaveLength(4);
    // Report files: in the history folder and next to the downloads.
    expect((await readdir(join(c.configDir, 'reports'))).filter((n) => /^diskferry-report-.*\.(json|csv)$/.test(n))).toHaveLength(2);
    expect((await readdir(out)).filter((n) => n.startsWith('diskferry-report-'))).toHaveLength(2);
    expect((await c.cli('queue', 'remove', '--finished')).out).toMatch(/Removed 3 job/);
  });

  it('queues and runs the disks download --search and download --all name', async () => {
    const out = join(h.dir, 'out2');
    await mkdir(out);
    const ids = [await addSimDisk(h.sim, 'bulk-1', 2 * MiB, [{ start: 0, length: 128 * KiB }]), await addSimDisk(h.sim, 'bulk-2', 2 * MiB, [{ start: MiB, length: 128 * KiB }])];
    const search = await c.cli('download', '--search', 'bulk-*', '--output', out, '--password-file', c.pw);
    expect(search.code, search.err).toBe(0);
    await expectFileEqualsDisk(h.sim, ids[0]!, downloadPath(out, 'bulk-1'));
    await expectFileEqualsDisk(h.sim, ids[1]!, downloadPath(out, 'bulk-2'));

    const all = join(h.dir, 'out3');
    await mkdir(all);
    const extra = await addSimDisk(h.sim, 'iscsi-small', 2 * MiB, [{ start: 0, length: 64 * KiB }], 'data-iscsi');
    const r = await c.cli('download', '--all', '--storage-domain', 'data-iscsi', '--output', all, '--password-file', c.pw);
    expect(r.code, r.err).toBe(0);
    expect((await readdir(all)).filter((n) => n.endsWith('.raw')).sort()).toEqual(['db01-disk0.raw', 'iscsi-small.raw']);
    await expectFileEqualsDisk(h.sim, extra, downloadPath(all, 'iscsi-small'));
    await expectFileEqualsSeed('db01-disk0', downloadPath(all, 'db01-disk0'));
    expect(seededDiskId('db01-disk0')).toBeTruthy();
    expect((await c.cli('download', '--all', '--output', all, '--password-file', c.pw)).code).toBe(2);
  });

  it('hands jobs to a running queue, which waits for its window and stops cleanly on SIGTERM', { timeout: 40_000 }, async () => {
    const out = join(h.dir, 'out4');
    await mkdir(out);
    // A window that is closed now (local time): it opens in two hours.
    const hour = new Date().getHours();
    const window = `${String((hour + 2) % 24).padStart(2, '0')}:00-${String((hour + 3) % 24).padStart(2, '0')}:00`;
    const first = await addSimDisk(h.sim, 'window-dl', 2 * MiB, [{ start: 0, length: 64 * KiB }]);
    expect((await c.cli('queue', 'add', 'download', first, '--output', out, '--password-file', c.pw)).code).toBe(0);
    // With a job waiting for its window the run stays up (an idle queue would end it at once).
    const run = c.startRun('--window', window);
    await until(() => run.events.some((e) => e['event'] === 'state' && e['name'] === 'window-dl' && e['state'] === 'waiting'), 20_000, `the run started (${run.stderr.join('\n')})`);
    const diskId = await addSimDisk(h.sim, 'inbox-dl', 2 * MiB, [{ start: 0, length: 64 * KiB }]);
    const add = await c.cli('queue', 'add', 'download', diskId, '--output', out, '--password-file', c.pw);
    expect(add.code, add.err).toBe(0);
    expect(add.out).toMatch(/Handed 1 job\(s\) to the running queue/);
    await until(() => run.events.some((e) => e['event'] === 'state' && e['name'] === 'inbox-dl' && e['state'] === 'waiting'), 10_000, 'the running queue took the job');
    // Changing the queue under a running queue is refused.
    expect((await c.cli('queue', 'remove', '--finished')).code).toBe(2);
    c.signal(run.child, 'SIGTERM');
    expect(await run.exited).toBe(130);
    const doc = await queueDoc();
    for (const name of ['window-dl', 'inbox-dl']) expect(doc.jobs.find((j) => j.label === name)).toMatchObject({ state: 'waiting', attempts: 0 });
    expect([...h.sim.engine.state.transfers.values()].filter((t) => t.diskId === diskId || t.diskId === first)).toEqual([]);
    expect(await exists(join(c.configDir, 'queue.lock'))).toBe(false);
  });
});
