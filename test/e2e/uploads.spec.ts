/**
 * Uploads: drop files, confirm the plan, watch them finish; cancel with its warning; a failure with
 * its reason; a drop while the settings are being saved keeps its plan.
 */
import { join } from 'node:path';
import { drawn, dropFiles, expect, historyRow, holdSettingsFrames, queueRow, shot, test } from './fixtures.js';
import { writeIso, writeQcow2, writeRaw } from './images.js';

const MiB = 1024 * 1024;

test('drops a qcow2 and an ISO, plans them and uploads both to completion', async ({ app, host, workDir }) => {
  const qcow2 = join(workDir, 'fedora-e2e.qcow2');
  const iso = join(workDir, 'boot-e2e.iso');
  await writeQcow2(qcow2, 256 * MiB, 24);
  await writeIso(iso, 6 * MiB);

  await dropFiles(app, [qcow2, iso]);
  const plan = app.getByTestId('upload-plan');
  await expect(plan.getByTestId('plan-row')).toHaveCount(2);
  const qRow = plan.getByTestId('plan-row').filter({ hasText: 'fedora-e2e.qcow2' });
  const isoRow = plan.getByTestId('plan-row').filter({ hasText: 'boot-e2e.iso' });
  await expect(qRow).toContainText('qcow2');
  await expect(qRow).toContainText('256 MiB');
  await expect(isoRow).toContainText('ISO');
  await expect(qRow.getByRole('textbox')).toHaveValue('fedora-e2e');
  await expect(isoRow.getByRole('combobox')).toBeDisabled(); // ISO images are always raw
  // No domain remembered yet: the active data domain with the most room is suggested.
  await expect(plan.getByLabel('Storage domain').locator('option:checked')).toHaveText(/^data-nfs/);
  await shot(app, 'upload-plan');
  await plan.getByRole('button', { name: 'Start 2 uploads' }).click();
  await expect(plan).toBeHidden();

  await expect(app.getByTestId('history-summary')).toContainText('2 uploaded', { timeout: 45_000 });
  for (const name of ['fedora-e2e.qcow2', 'boot-e2e.iso']) await expect(await historyRow(app, name)).toHaveAttribute('data-state', 'completed');
  // The details say the data matched the data server's checksum, with the digest.
  const done = await historyRow(app, 'fedora-e2e.qcow2');
  await done.getByRole('button', { name: 'Details' }).click();
  await expect(done.getByTestId('transfer-checksum')).toContainText(/✓ matches the data server’s blake2b [0-9a-f]{64}/);
  await expect(app.getByTestId('disks')).toContainText('fedora-e2e');
  await expect(app.getByTestId('disks')).toContainText('boot-e2e');
  // What the engine now holds: the ISO as an iso-content disk, the qcow2 as a cow disk.
  const disks = await host.core.handlers['catalog:disks']({ search: '*-e2e' });
  expect(disks.find((d) => d.name === 'boot-e2e')?.contentType).toBe('iso');
  expect(disks.find((d) => d.name === 'fedora-e2e')?.format).toBe('cow');

  // Dropping the same image again: the plan says the engine already has a disk of that name, until
  // the name is changed.
  await dropFiles(app, [qcow2]);
  const again = app.getByTestId('upload-plan');
  await expect(again.getByTestId('same-name')).toContainText('already has 1 disk named fedora-e2e');
  await again.getByRole('textbox').fill('fedora-e2e-2');
  await expect(again.getByTestId('same-name')).toHaveCount(0);
  await again.getByRole('button', { name: 'Cancel' }).click();
});

test('cancelling an upload warns that the engine deletes the disk', async ({ app, host, workDir }) => {
  const raw = join(workDir, 'scratch.raw');
  await writeRaw(raw, 256 * MiB, 96);
  host.sim.faults.bandwidthBytesPerSecond = 2 * MiB;

  await dropFiles(app, [raw]);
  await app.getByTestId('upload-plan').getByRole('button', { name: 'Start 1 upload' }).click();
  const row = queueRow(app, 'scratch.raw');
  await expect(row).toHaveAttribute('data-state', 'transferring');
  await shot(app, 'queue-uploading');

  await row.getByRole('button', { name: 'Cancel' }).click();
  const confirm = app.getByTestId('confirm-cancel');
  await expect(confirm).toContainText('The engine deletes the disk “scratch”');
  await shot(app, 'cancel-warning');
  await confirm.getByRole('button', { name: 'Keep uploading' }).click();
  await expect(confirm).toBeHidden();
  await expect(row).toHaveAttribute('data-state', 'transferring');

  await row.getByRole('button', { name: 'Cancel' }).click();
  await app.getByTestId('confirm-cancel').getByRole('button', { name: 'Cancel and delete the disk' }).click();
  const cancelled = await historyRow(app, 'scratch.raw');
  await expect(cancelled).toHaveAttribute('data-state', 'cancelled');
  // The engine deleted the disk: a fresh read of the disks no longer lists it.
  await expect
    .poll(async () => {
      await app.getByRole('button', { name: 'Refresh' }).click();
      await expect(app.getByRole('button', { name: 'Refresh' })).toBeEnabled();
      return app.getByTestId('disks').innerText();
    })
    .not.toContain('scratch');
  await expect(app.getByTestId('disks')).toContainText('fedora-40-root');
  await cancelled.getByRole('button', { name: 'Remove from the list' }).click();
  await expect(cancelled).toHaveCount(0);
  host.sim.faults.bandwidthBytesPerSecond = null;
});

test('a transfer failed by the engine shows its reason and what to do, and can be retried', async ({ app, host, workDir }) => {
  const raw = join(workDir, 'broken.raw');
  await writeRaw(raw, 32 * MiB, 4);
  // No automatic retries, so the failure stays on screen.
  await app.getByRole('button', { name: 'Settings' }).click();
  await app.getByTestId('settings').getByLabel('Retries after an error').fill('0');
  await app.getByTestId('settings').getByRole('button', { name: 'Save' }).click();
  await expect(app.getByTestId('settings')).toBeHidden();
  host.sim.faults.failFinalizeVerification = true;

  await dropFiles(app, [raw]);
  await app.getByTestId('upload-plan').getByRole('button', { name: 'Start 1 upload' }).click();
  const row = queueRow(app, 'broken.raw');
  await expect(row).toHaveAttribute('data-state', 'failed', { timeout: 45_000 });
  await expect(row.getByTestId('transfer-phase')).toContainText('failed:');
  await expect(row.getByTestId('transfer-hint')).not.toBeEmpty();
  await row.getByRole('button', { name: 'Details' }).click();
  await expect(row.getByTestId('transfer-details')).toContainText('Last error');
  await shot(app, 'queue-failed');

  await row.getByRole('button', { name: 'Retry', exact: true }).click();
  await expect(await historyRow(app, 'broken.raw')).toHaveAttribute('data-state', 'completed', { timeout: 45_000 });
});

test('a file dropped while the settings are being saved keeps its upload plan when the save is answered', async ({ app, workDir }) => {
  const raw = join(workDir, 'dropped-meanwhile.raw');
  await writeRaw(raw, 8 * MiB, 2);
  const frames = await holdSettingsFrames(app);
  await app.getByRole('button', { name: 'Settings' }).click();
  await app.getByTestId('settings').getByLabel('Retries after an error').fill('2');
  frames.holding = true;
  await app.getByTestId('settings').getByRole('button', { name: 'Save' }).click();
  await expect.poll(() => frames.held.length).toBeGreaterThan(0);
  // Main has not answered the save yet: a drop opens the plan over the settings.
  await dropFiles(app, [raw]);
  const plan = app.getByTestId('upload-plan');
  await expect(plan).toBeVisible();
  frames.holding = false;
  frames.release();
  await drawn(app);
  // The save's answer closed the settings' sheet, not the plan that took its place.
  await expect(plan).toBeVisible();
  await plan.getByRole('button', { name: 'Start 1 upload' }).click();
  await expect(await historyRow(app, 'dropped-meanwhile.raw')).toHaveAttribute('data-state', 'completed', { timeout: 30_000 });
});

