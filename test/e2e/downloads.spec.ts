/** Downloads: select disks, plan them (folder, names, policy), watch them land; pause and resume one. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, historyRow, queueRow, shot, test } from './fixtures.js';

const MiB = 1024 * 1024;

test('downloads two selected disks into the folder of the plan', async ({ app, workDir }) => {
  const disks = app.getByTestId('disks');
  await app.getByLabel('Search disks').fill('disk');
  await expect(disks.locator('tbody tr')).toHaveCount(3); // db01-disk0, vm-running-disk, web-01-disk1
  await app.getByRole('checkbox', { name: 'Select web-01-disk1' }).check();
  await app.getByLabel('Search disks').fill('');
  await app.getByRole('checkbox', { name: 'Select empty-10g' }).check();
  await expect(app.getByText('2 selected')).toBeVisible();
  await app.getByRole('button', { name: 'Size' }).click(); // sort by size, largest first
  await expect(disks.locator('tbody tr').first()).toContainText('empty-10g');

  await app.getByRole('button', { name: 'Download to…' }).click();
  const plan = app.getByTestId('download-plan');
  await plan.getByLabel('Folder').fill(workDir);
  // The core says what the folder's file system holds: here one with sparse files, so only its room.
  await expect(plan.getByTestId('folder-note')).toHaveText(/^[\d.,]+ [KMGT]?i?B free in this folder\.$/);
  await plan.getByLabel('File names').fill('{vm}-{disk}.{ext}');
  await expect(plan.getByTestId('plan-row').filter({ hasText: 'web-01-disk1' })).toContainText('web-01-disk1.raw');
  await expect(plan.getByTestId('plan-row').filter({ hasText: 'empty-10g' })).toContainText('10 GiB');
  await plan.getByLabel('File names').fill('{name}.{ext}');
  await expect(plan.getByText('Unknown placeholder: {name}')).toBeVisible();
  await expect(plan.getByRole('button', { name: 'Download 2 disks' })).toBeDisabled();
  await plan.getByLabel('File names').fill('{disk}.{ext}');
  await shot(app, 'download-plan');
  await plan.getByRole('button', { name: 'Download 2 disks' }).click();
  await expect(plan).toBeHidden();

  await expect(app.getByTestId('history-summary')).toContainText('2 downloaded', { timeout: 45_000 });
  await expect(await historyRow(app, 'web-01-disk1')).toHaveAttribute('data-state', 'completed');
  expect((await stat(join(workDir, 'web-01-disk1.raw'))).size).toBe(512 * MiB);
  expect((await stat(join(workDir, 'empty-10g.raw'))).size).toBe(10 * 1024 * MiB);
  await shot(app, 'history');
  await app.getByRole('button', { name: 'Report' }).click();
  await expect(app.getByTestId('report').locator('tbody tr')).toHaveCount(2);
  await shot(app.getByTestId('report'), 'report');
});

test('pauses and resumes a running download', async ({ app, host, workDir }) => {
  host.sim.faults.bandwidthBytesPerSecond = 1 * MiB;
  await app.getByRole('checkbox', { name: 'Select fedora-40-root' }).check();
  await app.getByRole('button', { name: /Download 1/ }).click();
  const plan = app.getByTestId('download-plan');
  await plan.getByLabel('Folder').fill(workDir);
  await plan.getByRole('button', { name: 'Download 1 disk' }).click();

  const row = queueRow(app, 'fedora-40-root');
  await expect(row).toHaveAttribute('data-state', 'transferring');
  await expect(row.getByTestId('transfer-phase')).toContainText(/transferring · \d+ connections?/);
  await expect(app.getByTestId('status-totals')).toContainText('1 running');
  await shot(app, 'queue-downloading');
  await row.getByRole('button', { name: 'Pause' }).click();
  await expect(row).toHaveAttribute('data-state', 'paused');
  // The phase, then what the row has of data and holes (docs/architecture.md, "What the window shows").
  await expect(row.getByTestId('transfer-phase')).toHaveText(/^paused · .* of data \+ .* of holes/);
  await expect(row.getByRole('button', { name: 'Resume' })).toBeVisible();
  await expect(app.getByTestId('queue-summary')).toContainText('1 paused');

  host.sim.faults.bandwidthBytesPerSecond = null;
  // Keyboard: Space on the focused row resumes it.
  await row.focus();
  await app.keyboard.press('Space');
  await expect(await historyRow(app, 'fedora-40-root')).toHaveAttribute('data-state', 'completed', { timeout: 45_000 });
  expect((await stat(join(workDir, 'fedora-40-root.raw'))).size).toBe(2048 * MiB);
});
