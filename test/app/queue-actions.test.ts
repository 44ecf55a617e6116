/**
 * The queue's actions on many transfers and its report, through the app core's handlers against the
 * simulator: `transfers:act` (start now past the schedule window, pause and resume a selection,
 * move it to the top keeping its order, remove what finished, each refusal said per transfer),
 * `transfers:report` (the CLI's report, CSV and JSON) and `transfers:saveReport` through the host's
 * save dialog.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransferView } from '../../shared/ipc.js';
import type { DialogPort } from '../../main/app/ports.js';
import { seededDiskId } from '../integration/helpers.js';
import { startCore, until, type CoreHarness } from './helpers.js';

/** `HH:MM` local time, `minutes` from now. */
function hhmm(minutes: number): string {
  const d = new Date(Date.now() + minutes * 60_000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

describe('app core: actions on many transfers, and the report', () => {
  let h: CoreHarness;
  /** What the save dialog answers next (a path, or null: cancelled), and what it was asked. */
  let saveAnswer: string | null = null;
  const asked: Array<Parameters<DialogPort['saveFile']>[0]> = [];
  beforeAll(async () => {
    const dialogs: DialogPort = {
      openFiles: () => Promise.resolve([]),
      chooseFolder: () => Promise.resolve(null),
      saveFile: (o) => {
        asked.push(o);
        return Promise.resolve(saveAnswer);
      },
    };
    h = await startCore({ dialogs });
    await h.call('engines:demo', undefined);
  });
  afterAll(async () => {
    await h.close();
  });

  const view = (id: string): TransferView => {
    const t = h.snapshot('transfers:changed').transfers.find((x) => x.id === id);
    if (!t) throw new Error(`no transfer ${id}`);
    return t;
  };
  const order = () => h.snapshot('transfers:changed').transfers.map((t) => t.id);

  it('starts one transfer waiting for the window now, acts on a selection and says why it skipped the others', async () => {
    // A window that opens in two hours: the window's transfers wait.
    await h.call('settings:set', { scheduleWindow: { start: hhmm(120), end: hhmm(180) } });
    const dir = join(h.dir, 'window');
    await mkdir(dir);
    const {
      queued: [a, b, c],
    } = await h.call('transfers:addDownloads', {
      diskIds: [seededDiskId('web-01-disk1'), seededDiskId('db01-disk0'), seededDiskId('empty-10g')],
      folder: dir,
      format: 'raw',
      existing: 'overwrite',
      start: 'window',
    });
    await until(() => [a, b, c].every((t) => view(t!.id).state === 'waiting'), 15_000, 'all three to wait');
    expect(view(a!.id).actions.startNow).toBe(true);

    // Start now: only that one runs, to its end; the others keep waiting for the window.
    const started = await h.call('transfers:act', { ids: [a!.id], action: 'startNow' });
    expect(started).toEqual({ done: [a!.id], skipped: [] });
    await until(() => view(a!.id).state === 'completed', 60_000, 'the one started now to complete');
    expect(view(b!.id).state).toBe('waiting');
    expect(view(c!.id).state).toBe('waiting');
    expect(view(a!.id).notes.join(' ')).toMatch(/Started now/);

    // One action on a selection: done where it applies, each other one answered with why not.
    const paused = await h.call('transfers:act', { ids: [b!.id, a!.id, c!.id], action: 'pause' });
    expect(paused.done).toEqual([b!.id, c!.id]);
    expect(paused.skipped).toEqual([{ id: a!.id, error: expect.objectContaining({ code: 'conflict', message: expect.stringMatching(/completed and cannot be paused/) }) }]);
    expect(view(b!.id).state).toBe('paused');
    expect((await h.call('transfers:act', { ids: [b!.id, c!.id], action: 'resume' })).done).toEqual([b!.id, c!.id]);
    await until(() => view(b!.id).state === 'waiting' && view(c!.id).state === 'waiting', 15_000, 'both to wait again');

    // To the top, in their order: c then b.
    await h.call('transfers:act', { ids: [c!.id, b!.id], action: 'top' });
    expect(order().slice(0, 2)).toEqual([c!.id, b!.id]);

    // An unknown id is one refusal among the answers, not a failure of the call.
    const unknown = await h.call('transfers:act', { ids: ['no-such-transfer'], action: 'cancel' });
    expect(unknown.skipped[0]?.error.code).toBe('not-found');

    // The report is the queue's (the CLI's): the finished transfer with its checksum.
    const csv = await h.call('transfers:report', { format: 'csv' });
    expect(csv.fileName).toMatch(/^diskferry-report-\d{8}-\d{4}\.csv$/);
    const [header, row, ...rest] = csv.content.trimEnd().split('\r\n');
    expect(header).toMatch(/^jobId,kind,engine,source,target,size,bytes,bytesOnWire,durationMs,averageRate,digest,digestAlgorithm,verified,outcome/);
    expect(rest).toEqual([]);
    expect(row).toContain(a!.id);
    expect(row).toContain(join(dir, 'web-01-disk1.raw'));
    const json = await h.call('transfers:report', { format: 'json' });
    const report = JSON.parse(json.content) as { rows: Array<{ jobId: string; digest: string | null; digestAlgorithm: string | null; verified: boolean | null; averageRate: number | null }> };
    expect(report.rows).toHaveLength(1);
    expect(report.rows[0]).toMatchObject({ jobId: a!.id, digestAlgorithm: 'blake2b', verified: true });
    expect(report.rows[0]!.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(report.rows[0]!.averageRate).toBeGreaterThan(0);

    // Saved where the save dialog says; nothing written when it was cancelled.
    const target = join(h.dir, 'report.json');
    saveAnswer = target;
    expect(await h.call('transfers:saveReport', { format: 'json' })).toEqual({ path: target });
    expect(asked.at(-1)).toMatchObject({ defaultPath: json.fileName, extensions: ['json'] });
    expect(JSON.parse(await readFile(target, 'utf8'))).toMatchObject({ rows: [{ jobId: a!.id }] });
    saveAnswer = null;
    expect(await h.call('transfers:saveReport', { format: 'csv' })).toEqual({ path: null });
    // A name that is a folder: the error says so and what to do.
    saveAnswer = dir;
    const failed = await h.invoke('transfers:saveReport', { format: 'csv' });
    expect(!failed.ok && failed.error.message).toMatch(/could not be saved as .*Choose another folder/);

    // Clear finished: removes the completed one only.
    const cleared = await h.call('transfers:act', { ids: order(), action: 'remove' });
    expect(cleared.done).toEqual([a!.id]);
    expect(order()).not.toContain(a!.id);
    const none = await h.invoke('transfers:report', { format: 'csv' });
    expect(!none.ok && none.error.code).toBe('not-found');
    await h.call('transfers:act', { ids: [b!.id, c!.id], action: 'cancel' });
  });
});
