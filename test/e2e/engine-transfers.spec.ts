/**
 * The engine's own transfers in the window: a download fails because another client's transfer holds
 * its disk; the failed row offers the transfers on that disk; the other client's transfer is ended
 * after a confirmation that says whose it is; the download is retried and completes. Then the whole
 * engine's list: another client's stuck upload, ended after the confirmation that its disk is deleted.
 */
import { silentLog } from '../../main/engine/log.js';
import { OvirtClient } from '../../main/engine/ovirt/client.js';
import { leaveForeignTransfers } from '../../main/simulator/foreign-transfers.js';
import type { Simulator } from '../../main/simulator/simulator.js';
import { expect, historyRow, queueRow, shot, test } from './fixtures.js';

/** Another client opens a download transfer of a disk through the engine's REST API and keeps it open (no inactivity timeout). */
async function openAsAnotherClient(sim: Simulator, diskName: string): Promise<{ transferId: string; diskId: string }> {
  const client = new OvirtClient({ engineUrl: sim.engineUrl, username: sim.username, password: () => sim.password, trust: { caPem: [sim.caPem] }, log: silentLog, pollIntervalMs: 50 });
  try {
    await client.login();
    const disk = (await client.disks({ search: `name=${diskName}` }))[0]!;
    const t = await client.createTransfer({ diskId: disk.id, direction: 'download', format: 'raw', inactivityTimeout: 0 });
    await client.waitForTransferReady(t.id, { timeoutMs: 20_000 });
    return { transferId: t.id, diskId: disk.id };
  } finally {
    await client.logout().catch(() => {});
    await client.close();
  }
}

test('a download that found its disk locked: see the disk’s transfers, end the one holding it, retry', async ({ app, host, workDir }) => {
  test.setTimeout(90_000);
  await host.core.handlers['settings:set']({ maxRetries: 0 });
  const left = await leaveForeignTransfers(host.sim);

  await app.getByRole('checkbox', { name: 'Select web-01-disk1' }).check();
  await app.getByRole('button', { name: /Download 1/ }).click();
  const plan = app.getByTestId('download-plan');
  await plan.getByLabel('Folder').fill(workDir);
  // Meanwhile another client starts reading the disk.
  const other = await openAsAnotherClient(host.sim, 'web-01-disk1');
  await plan.getByRole('button', { name: 'Download 1 disk' }).click();

  const row = queueRow(app, 'web-01-disk1');
  await expect(row).toHaveAttribute('data-state', 'failed');
  await expect(row.getByTestId('transfer-hint')).toContainText('The disk is locked');
  await row.getByRole('button', { name: 'See transfers on this disk…' }).click();

  const sheet = app.getByTestId('engine-transfers');
  await expect(sheet.getByRole('heading')).toHaveText(/Transfers on disk web-01-disk1/);
  const listed = sheet.getByTestId('engine-transfer');
  await expect(listed).toHaveCount(1);
  await expect(listed).toHaveAttribute('data-transfer-id', other.transferId);
  await expect(listed).toHaveAttribute('data-ours', 'false');
  await expect(listed).toContainText('another client');
  await shot(sheet, 'engine-transfers-disk');

  // Another client's transfer that may be in use: only after a confirmation that says whose it is.
  await listed.getByRole('button', { name: 'End the transfer of web-01-disk1' }).click();
  const confirm = app.getByTestId('engine-transfer-confirm');
  await expect(confirm.getByTestId('confirm-whose')).toContainText('not DiskFerry’s: it belongs to another client');
  await expect(confirm.getByRole('button', { name: 'Keep it' })).toBeFocused();
  // Escape backs out without ending anything.
  await app.keyboard.press('Escape');
  await expect(sheet).toBeVisible();
  expect(host.sim.engine.state.disks.get(other.diskId)?.status).toBe('locked');
  await listed.getByRole('button', { name: 'End the transfer of web-01-disk1' }).click();
  await confirm.getByRole('button', { name: 'End the other client’s transfer' }).click();

  await expect(sheet.getByTestId('engine-transfer-results')).toContainText('web-01-disk1: the transfer was ended; the disk is ok again.');
  await expect(sheet.getByTestId('engine-transfers-none')).toBeVisible();
  expect(host.sim.engine.state.disks.get(other.diskId)?.status).toBe('ok');
  await sheet.getByRole('button', { name: 'Retry web-01-disk1' }).click();
  await expect(sheet).toBeHidden();
  await expect(await historyRow(app, 'web-01-disk1')).toHaveAttribute('data-state', 'completed', { timeout: 45_000 });

  // The whole engine: another client's upload the engine paused and nobody resumed is stuck.
  await app.getByRole('button', { name: 'Transfers on this engine…' }).click();
  await expect(sheet.getByRole('heading')).toHaveText(/^Transfers on /);
  const stuck = sheet.getByTestId('engine-transfer').filter({ hasText: 'left-by-another-client-upload' });
  await expect(stuck).toHaveAttribute('data-condition', 'stuck');
  await expect(stuck).toContainText('paused by the engine; nobody resumed it');
  await shot(sheet, 'engine-transfers');
  await stuck.getByRole('button', { name: 'End the transfer of left-by-another-client-upload' }).click();
  await expect(confirm.getByRole('alert')).toContainText('the engine deletes the disk “left-by-another-client-upload”');
  // A slow engine: the row says what it waits for until the disk is gone.
  host.sim.faults.engineLatencyMs = 400;
  await confirm.getByRole('button', { name: 'Cancel and delete the disk' }).click();
  await expect(stuck.getByRole('status')).toHaveText('Cancelling — waiting for the engine to delete the disk…');
  host.sim.faults.engineLatencyMs = 0;
  await expect(sheet.getByTestId('engine-transfer-results')).toContainText('left-by-another-client-upload: the upload transfer was cancelled; the engine removed the disk.');
  expect(host.sim.engine.state.disks.has(left.stuckUpload.diskId)).toBe(false);
  await sheet.getByRole('button', { name: 'Close' }).click();
  await expect(sheet).toBeHidden();
});
