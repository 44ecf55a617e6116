/**
 * A thousand jobs: planned through typed paths, queued for the window, virtualized, reordered by
 * keyboard. The queue's actions: multi-select by mouse and keyboard, the context menu, start now,
 * pause all / resume all, Delete asking first, a finished job's details and the saved report.
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dropFiles, expect, historyRow, queueRow, shot, shownTime, test } from './fixtures.js';
import { writeRaw } from './images.js';

const MiB = 1024 * 1024;

const JOBS = 1000;

/** "HH:MM" of now plus some hours, local time of the host (this process). */
function hoursFromNow(hours: number): string {
  const d = new Date(Date.now() + hours * 3600_000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

test('queues a thousand uploads for the window and stays fluid', async ({ app, workDir }) => {
  test.setTimeout(120_000);
  const paths: string[] = [];
  for (let i = 1; i <= JOBS; i++) {
    const p = join(workDir, `job-${String(i).padStart(4, '0')}.raw`);
    const fh = await open(p, 'w');
    await fh.truncate(1024 * 1024);
    await fh.close();
    paths.push(p);
  }
  const controls = app.getByRole('group', { name: 'Queue settings' });
  await controls.getByRole('checkbox', { name: 'Overnight window' }).check();
  const start = hoursFromNow(3);
  await controls.getByLabel('Window starts').fill(start);
  const end = hoursFromNow(5);
  await controls.getByLabel('Window ends').fill(end);
  await controls.getByLabel('Window ends').blur();
  // Both ends must be applied: with the default end (06:00) the window could include now.
  await expect(app.getByTestId('queue-summary')).toContainText(`window ${shownTime(start)}–${shownTime(end)}`);

  // A browser page cannot see where files are: "Add files…" asks for typed paths.
  await app.getByRole('button', { name: '+ Add files…' }).click();
  const pathsSheet = app.getByTestId('paths');
  await pathsSheet.getByRole('textbox').fill(paths.join('\n'));
  await pathsSheet.getByRole('button', { name: `Check ${JOBS} files` }).click();
  const plan = app.getByTestId('upload-plan');
  await expect(plan.getByTestId('plan-row')).toHaveCount(100);
  await expect(plan).toContainText(`and ${JOBS - 100} more files`);
  await plan.getByRole('radio', { name: /In the window/ }).check();
  await plan.getByRole('button', { name: `Start ${JOBS} uploads` }).click();
  await expect(plan).toBeHidden({ timeout: 90_000 });

  await expect(app.getByTestId('queue-summary')).toContainText(`${JOBS} waiting`);
  const rows = app.getByTestId('queue-list').getByTestId('transfer-row');
  await expect(rows.first()).toContainText('job-0001.raw');
  await expect(rows.first().getByTestId('transfer-phase')).toHaveText(`queued — starts at ${shownTime(start)}`);
  expect(await rows.count()).toBeLessThan(60); // virtualized: only the rows in view exist
  await shot(app, 'queue-thousand');

  // Keyboard: Alt+↓ moves the focused job down; End jumps to the last job.
  await rows.first().focus();
  await app.keyboard.press('Alt+ArrowDown');
  await expect(rows.first()).toContainText('job-0002.raw');
  await expect(rows.nth(1)).toContainText('job-0001.raw');
  await expect(app.locator('[data-transfer-id]:focus')).toContainText('job-0001.raw');
  await app.keyboard.press('End');
  await expect(app.locator('[data-transfer-id]:focus')).toContainText(`job-${JOBS}.raw`);
  expect(await rows.count()).toBeLessThan(60);
  await app.keyboard.press('Home');
  await expect(app.locator('[data-transfer-id]:focus')).toContainText('job-0002.raw');

  // Ctrl/Cmd+A selects all thousand; pause all and resume all act on every one in one call.
  await app.keyboard.press('ControlOrMeta+a');
  await expect(app.getByTestId('queue-selected')).toHaveText(`${JOBS} selected`);
  let started = Date.now();
  await app.getByTestId('queue-pauseAll').click();
  await expect(app.getByTestId('queue-summary')).toContainText(`${JOBS} paused`);
  const pauseMs = Date.now() - started;
  started = Date.now();
  await app.getByTestId('queue-resumeAll').click();
  await expect(app.getByTestId('queue-summary')).toContainText(`${JOBS} waiting`);
  const measured = `pause all ${pauseMs} ms, resume all ${Date.now() - started} ms for ${JOBS} jobs (click to summary)`;
  test.info().annotations.push({ type: 'measured', description: measured });
  console.log(measured);
});

test('selects, acts from the menu and the toolbar, asks before Delete, and saves the report', async ({ app, host, workDir }) => {
  test.setTimeout(120_000);
  const controls = app.getByRole('group', { name: 'Queue settings' });
  await controls.getByRole('checkbox', { name: 'Overnight window' }).check();
  const [start, end] = [hoursFromNow(3), hoursFromNow(5)];
  await controls.getByLabel('Window starts').fill(start);
  await controls.getByLabel('Window ends').fill(end);
  await controls.getByLabel('Window ends').blur();
  await expect(app.getByTestId('queue-summary')).toContainText(`window ${shownTime(start)}–${shownTime(end)}`);
  const files = { a: join(workDir, 'act-a.raw'), b: join(workDir, 'act-b.raw'), c: join(workDir, 'act-c.raw') };
  await writeRaw(files.a, 16 * MiB, 4);
  await writeRaw(files.b, 256 * MiB, 96);
  await writeRaw(files.c, 16 * MiB, 4);
  await dropFiles(app, [files.a, files.b, files.c]);
  const plan = app.getByTestId('upload-plan');
  await plan.getByRole('radio', { name: /In the window/ }).check();
  await plan.getByRole('button', { name: 'Start 3 uploads' }).click();
  await expect(app.getByTestId('queue-summary')).toContainText('3 waiting');
  const [a, b, c] = [queueRow(app, 'act-a.raw'), queueRow(app, 'act-b.raw'), queueRow(app, 'act-c.raw')];
  const selected = app.getByTestId('queue-list').locator('[aria-selected="true"]');

  // Mouse: a click selects one, Shift-click the range, Ctrl-click takes one out.
  await a.click();
  await expect(selected).toHaveCount(1);
  await c.click({ modifiers: ['Shift'] });
  await expect(selected).toHaveCount(3);
  await expect(app.getByTestId('queue-selected')).toHaveText('3 selected');
  await b.click({ modifiers: ['ControlOrMeta'] });
  await expect(selected).toHaveCount(2);
  await expect(b).toHaveAttribute('aria-selected', 'false');
  // Keyboard: an arrow selects the next row, Shift+arrow extends, Ctrl/Cmd+A takes all, Escape none.
  await a.click();
  await app.keyboard.press('Shift+ArrowDown');
  await expect(selected).toHaveCount(2);
  await expect(app.locator('[data-transfer-id]:focus')).toContainText('act-b.raw');
  await app.keyboard.press('ControlOrMeta+a');
  await expect(selected).toHaveCount(3);
  await app.keyboard.press('Escape');
  await expect(selected).toHaveCount(0);
  // Ctrl/Cmd+arrows move the focus alone; Ctrl/Cmd+Space adds the focused row.
  await a.click();
  await app.keyboard.press('ControlOrMeta+ArrowDown');
  await app.keyboard.press('ControlOrMeta+ArrowDown');
  await expect(c).toBeFocused();
  await app.keyboard.press('ControlOrMeta+Space');
  await expect(selected).toHaveCount(2);
  await expect(b).toHaveAttribute('aria-selected', 'false');
  await app.keyboard.press('Escape');

  // The context menu: a right click on a row selects it and opens the menu on it; arrows move,
  // Escape closes and gives the focus back to the row.
  await a.click({ button: 'right' });
  const menu = app.getByRole('menu');
  await expect(menu).toBeVisible();
  await expect(menu).toHaveAccessibleName('Actions for 1 transfer');
  await expect(menu.getByRole('menuitem', { name: 'Pause' })).toBeFocused();
  await app.keyboard.press('ArrowDown');
  await expect(menu.getByRole('menuitem', { name: /Start now/ })).toBeFocused();
  await shot(app, 'queue-context-menu');
  await app.keyboard.press('Escape');
  await expect(menu).toBeHidden();
  await expect(a).toBeFocused();
  // Shift+F10 opens it from the keyboard; Start now runs this one only, past the window.
  await app.keyboard.press('Shift+F10');
  await expect(menu).toBeVisible();
  await app.keyboard.press('ArrowDown');
  await app.keyboard.press('Enter');
  await expect(menu).toBeHidden();
  await expect(app.getByTestId('history-summary')).toContainText('1 uploaded', { timeout: 45_000 });
  await expect(b).toHaveAttribute('data-state', 'waiting');
  await expect(c).toHaveAttribute('data-state', 'waiting');

  // Pause all, resume all: the toolbar acts on every transfer it applies to.
  await app.getByTestId('queue-pauseAll').click();
  await expect(b).toHaveAttribute('data-state', 'paused');
  await expect(c).toHaveAttribute('data-state', 'paused');
  await expect(app.getByTestId('queue-pauseAll')).toBeDisabled();
  await app.getByTestId('queue-resumeAll').click();
  await expect(b).toHaveAttribute('data-state', 'waiting');
  await expect(c).toHaveAttribute('data-state', 'waiting');

  // b runs (slowly), c waits: Delete on both asks once, saying which runs and that the disk goes.
  host.sim.faults.bandwidthBytesPerSecond = 2 * MiB;
  await b.click();
  await app.getByTestId('queue-startNow').click();
  await expect(b).toHaveAttribute('data-state', 'transferring', { timeout: 30_000 });
  await expect(app.getByTestId('batch-progress')).toContainText('of 3 transfers');
  await b.click();
  await app.keyboard.press('ControlOrMeta+a');
  await app.keyboard.press('Delete');
  const confirm = app.getByTestId('confirm-cancel');
  await expect(confirm).toHaveAccessibleName('Cancel 2 transfers?');
  await expect(confirm.getByTestId('cancel-list')).toContainText('act-b.raw · running');
  await expect(confirm.getByTestId('cancel-list')).toContainText('act-c.raw · waiting for the window');
  await expect(confirm).toContainText('The engine deletes the disk “act-b” when an upload is cancelled');
  await expect(confirm).toContainText('1 transfer has not started');
  // Keeping them is the default (Enter, Escape): nothing is cancelled.
  await expect(confirm.getByRole('button', { name: 'Keep them' })).toBeFocused();
  await app.keyboard.press('Escape');
  await expect(confirm).toBeHidden();
  await expect(b).toHaveAttribute('data-state', 'transferring');
  await b.focus();
  await app.keyboard.press('Delete');
  await confirm.getByRole('button', { name: 'Cancel and delete the disk' }).click();
  await expect(app.getByTestId('queue-list')).toBeHidden({ timeout: 30_000 });
  host.sim.faults.bandwidthBytesPerSecond = null;

  // The finished job's details: finish time, average rate, destination and checksum.
  const done = await historyRow(app, 'act-a.raw');
  await done.getByRole('button', { name: 'Details' }).click();
  await expect(done.getByTestId('transfer-finished')).toHaveText(/\d/);
  await expect(done.getByTestId('transfer-average-rate')).toHaveText(/\d+(\.\d+)? [KMG]?i?B\/s/);
  await expect(done.getByTestId('transfer-destination')).toHaveText('data-nfs / act-a');
  await expect(done.getByTestId('transfer-checksum')).toContainText(/blake2b [0-9a-f]{64}/);
  await expect(done.getByTestId('transfer-details')).toContainText('4 MiB of 4 MiB of data, 12 MiB of holes not sent');
  await done.getByTestId('transfer-checksum').scrollIntoViewIfNeeded();
  await shot(app.locator('.history'), 'finished-details');

  // The report, saved: a browser page gets it as a download, CSV and JSON, the CLI's report.
  await app.getByRole('button', { name: 'Report' }).click();
  const report = app.getByTestId('report');
  const [csvDownload] = await Promise.all([app.waitForEvent('download'), report.getByRole('button', { name: 'Save as CSV…' }).click()]);
  expect(csvDownload.suggestedFilename()).toMatch(/^diskferry-report-\d{8}-\d{4}\.csv$/);
  const csv = await readFile((await csvDownload.path())!, 'utf8');
  const lines = csv.trimEnd().split('\r\n');
  expect(lines[0]).toMatch(/^jobId,kind,engine,source,target,/);
  expect(lines).toHaveLength(4);
  expect(csv).toContain(files.a);
  const [jsonDownload] = await Promise.all([app.waitForEvent('download'), report.getByRole('button', { name: 'Save as JSON…' }).click()]);
  const json = JSON.parse(await readFile((await jsonDownload.path())!, 'utf8')) as { rows: Array<{ source: string; outcome: string; digestAlgorithm: string | null }> };
  expect(json.rows.map((r) => r.outcome).sort()).toEqual(['cancelled', 'cancelled', 'completed']);
  expect(json.rows.find((r) => r.source === files.a)?.digestAlgorithm).toBe('blake2b');
});
