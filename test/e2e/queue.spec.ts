/** A thousand jobs: planned through typed paths, queued for the window, virtualized, reordered by keyboard. */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, shot, shownTime, test } from './fixtures.js';

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
});
