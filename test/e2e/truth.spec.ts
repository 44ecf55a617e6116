/**
 * What the window shows is true: an engine that stops answering is shown as such, and the disk list
 * follows what a transfer did to the disks (the rates under a limit: bandwidth.spec.ts).
 */
import { join } from 'node:path';
import { dropFiles, expect, historyRow, queueRow, shot, test } from './fixtures.js';
import { writeRaw } from './images.js';

const MiB = 1024 * 1024;

test('an engine that stops answering is shown in the header and on the rows that wait for it', async ({ app, host, workDir }) => {
  test.setTimeout(90_000);
  const raw = join(workDir, 'during-outage.raw');
  await writeRaw(raw, 64 * MiB, 16);
  host.sim.faults.bandwidthBytesPerSecond = 4 * MiB;
  await dropFiles(app, [raw]);
  await app.getByTestId('upload-plan').getByRole('button', { name: 'Start 1 upload' }).click();
  const row = queueRow(app, 'during-outage.raw');
  await expect(row).toHaveAttribute('data-state', 'transferring');

  host.sim.faults.engineUnavailable = true;
  // Anything that asks the engine finds it away: here a refresh of the disk list.
  await app.getByRole('button', { name: 'Refresh' }).click();
  const badge = app.getByTestId('connection');
  await expect(badge).toHaveAttribute('data-status', 'away');
  await expect(badge).toContainText(/not answering — waiting since \d{1,2}:\d{2}/);
  await expect(badge).not.toContainText('connected');
  // The data still goes to imageio; once it has, the upload waits for the engine to finalize.
  host.sim.faults.bandwidthBytesPerSecond = null;
  await expect(row).toHaveAttribute('data-state', /verifying|finalizing/);
  await expect(row.getByTestId('transfer-phase')).toContainText(/waiting for the engine — not answering since \d{1,2}:\d{2}/);
  await expect(row.locator('.transfer__rate')).toHaveText('');
  await shot(app, 'engine-away');

  host.sim.faults.engineUnavailable = false;
  await expect(await historyRow(app, 'during-outage.raw')).toHaveAttribute('data-state', 'completed', { timeout: 45_000 });
  await expect(badge).toHaveAttribute('data-status', 'connected');
});

test('the disk list follows a cancelled upload without a refresh', async ({ app, host, workDir }) => {
  const raw = join(workDir, 'fresh-scratch.raw');
  await writeRaw(raw, 256 * MiB, 64);
  host.sim.faults.bandwidthBytesPerSecond = 2 * MiB;
  await dropFiles(app, [raw]);
  await app.getByTestId('upload-plan').getByRole('button', { name: 'Start 1 upload' }).click();
  const row = queueRow(app, 'fresh-scratch.raw');
  await expect(row).toHaveAttribute('data-state', 'transferring');
  // The disk the upload created shows up on its own (the poll is 20 s: this is the transfer's change).
  const disks = app.getByTestId('disks');
  await expect(disks).toContainText('fresh-scratch', { timeout: 10_000 });

  await row.getByRole('button', { name: 'Cancel' }).click();
  await app.getByTestId('confirm-cancel').getByRole('button', { name: 'Cancel and delete the disk' }).click();
  await expect(await historyRow(app, 'fresh-scratch.raw')).toHaveAttribute('data-state', 'cancelled');
  await expect(disks).not.toContainText('fresh-scratch', { timeout: 10_000 });
  await expect(disks).toContainText('fedora-40-root');
  host.sim.faults.bandwidthBytesPerSecond = null;
});
