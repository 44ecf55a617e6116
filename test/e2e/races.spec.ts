/**
 * The window keeps up with main and with itself: a setting changed elsewhere while the settings
 * sheet is open survives its Save; a second upload plan starts afresh; a late answer does not take
 * the transfers-at-once select back; a warning whose transfers finished meanwhile closes rather
 * than staying open unseen and holding the shortcuts.
 */
import { join } from 'node:path';
import { drawn, dropFiles, expect, holdSettingsFrames, queueRow, test } from './fixtures.js';
import { writeRaw } from './images.js';

const MiB = 1024 * 1024;

test('Save in the settings sends what was changed there: a limit set meanwhile stays', async ({ app, host }) => {
  await app.getByRole('button', { name: 'Settings' }).click();
  const sheet = app.getByTestId('settings');
  await expect(sheet).toBeVisible();
  // Changed while the sheet is open, as the queue's limit field or a second window does.
  await host.core.handlers['settings:set']({ bandwidthLimit: 40 * MiB });
  await sheet.getByLabel('Retries after an error').fill('1');
  await sheet.getByRole('button', { name: 'Save' }).click();
  await expect(sheet).toBeHidden();
  expect(host.core.snapshot('settings:changed')).toMatchObject({ bandwidthLimit: 40 * MiB, maxRetries: 1 });
  await expect(app.getByTestId('queue-summary')).toContainText('limit 40 MiB/s');
});

test('a second upload plan starts afresh: its own names, nothing of the first', async ({ app, workDir }) => {
  const first = join(workDir, 'first.raw');
  const second = join(workDir, 'second.raw');
  await writeRaw(first, 4 * MiB, 1);
  await writeRaw(second, 4 * MiB, 1);
  await dropFiles(app, [first]);
  const plan = app.getByTestId('upload-plan');
  await plan.getByRole('textbox', { name: 'Disk name for first.raw' }).fill('renamed-first');
  // Dropped on the open plan: the new plan is the second file's, with its own default name.
  await dropFiles(app, [second]);
  await expect(plan.getByRole('textbox', { name: 'Disk name for second.raw' })).toHaveValue('second');
  await expect(plan.getByRole('textbox', { name: 'Disk name for first.raw' })).toHaveCount(0);
  await plan.getByRole('button', { name: 'Start 1 upload' }).click();
  await expect(queueRow(app, 'second.raw').or(app.getByTestId('history').getByText('second.raw'))).not.toHaveCount(0);
});

test('a late answer does not take the transfers-at-once select back to a value moved past', async ({ app, host }) => {
  const frames = await holdSettingsFrames(app);
  const atOnce = app.getByRole('group', { name: 'Queue settings' }).getByLabel('At once');
  const asked = (n: number) => (f: { readonly text: string }) => f.text.includes(`"maxConcurrent":${n}`);
  frames.holding = true;
  await atOnce.selectOption('3');
  await expect.poll(() => frames.held.some(asked(3))).toBe(true);
  await atOnce.selectOption('4');
  await expect.poll(() => frames.held.some(asked(4))).toBe(true);
  // The answers to 3 arrive, late: the select stays at 4.
  frames.release((f) => !asked(3)(f));
  await drawn(app);
  await expect(atOnce).toHaveValue('4');
  frames.holding = false;
  frames.release();
  await expect(atOnce).toHaveValue('4');
  expect(host.core.snapshot('settings:changed').maxConcurrent).toBe(4);
});

test('a cancel warning whose transfers finished meanwhile closes, and the shortcuts work again', async ({ app, host, workDir }) => {
  host.sim.faults.bandwidthBytesPerSecond = 1 * MiB;
  await app.getByRole('checkbox', { name: 'Select web-01-disk1' }).check();
  await app.getByRole('button', { name: 'Download 1' }).click();
  await app.getByTestId('download-plan').getByLabel('Folder').fill(workDir);
  await app.getByTestId('download-plan').getByRole('button', { name: 'Download 1 disk' }).click();
  const row = queueRow(app, 'web-01-disk1');
  await expect(row).toHaveAttribute('data-state', 'transferring', { timeout: 30_000 });
  await row.click();
  await app.keyboard.press('Delete');
  const confirm = app.getByTestId('confirm-cancel');
  await expect(confirm).toBeVisible();
  // The download finishes while the question is open: nothing is left to cancel.
  host.sim.faults.bandwidthBytesPerSecond = null;
  await expect(confirm).toBeHidden({ timeout: 30_000 });
  await app.keyboard.press('ControlOrMeta+,');
  await expect(app.getByTestId('settings')).toBeVisible();
});
