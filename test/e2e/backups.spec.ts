/**
 * Backups in the window: the VMs beside the disks, "Back up…" of a running VM (full), the job in the
 * queue with its disk until done, the run folder with its manifest; the next "Back up…" plans an
 * incremental run on it; the VM's menu opens the backup history of that VM (Backups…); a running
 * VM's disk in the download plan offers "Back up VM instead".
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { vmFolderName } from '../../main/engine/backup/set.js';
import { expect, historyRow, shot, test } from './fixtures.js';

const MiB = 1024 * 1024;

test('backs a running VM up (full, then incremental) from the VM list', async ({ app, host, workDir }) => {
  // A running VM with one qcow2 disk (qcow2 disks join checkpoints: the next run can be incremental).
  const disk = (await host.core.handlers['catalog:disks']({})).find((d) => d.name === 'db01-disk0')!;
  const vm = host.sim.engine.vms.create({ name: 'nightly-01', status: 'up', disks: [disk.id] });
  await host.sim.engine.vms.write(disk.id, 0, randomBytes(2 * MiB));
  const folder = join(workDir, 'backups');
  await mkdir(folder);

  await app.getByTestId('view-vms').click();
  const vms = app.getByTestId('vms');
  await app.locator('section[aria-labelledby="vms-heading"]').getByRole('button', { name: 'Refresh' }).click();
  const row = vms.getByTestId('vm-row').filter({ hasText: 'nightly-01' });
  await expect(row.getByTestId('vm-status')).toHaveText('up');
  await expect(row).toContainText('1 disk');
  await expect(row.getByTestId('vm-last-backup')).toHaveText('—');
  await expect(vms.getByTestId('vm-row').filter({ hasText: 'app-01' }).getByTestId('vm-status')).toHaveText('up');
  await expect(vms.getByTestId('vm-row').filter({ hasText: 'web-01' }).getByTestId('vm-status')).toHaveText('down');

  await app.getByRole('checkbox', { name: 'Select nightly-01' }).check();
  await app.getByRole('button', { name: 'Back up…' }).click();
  const sheet = app.getByTestId('backup-sheet');
  await expect(sheet.getByRole('radio', { name: /^Auto/ })).toBeChecked();
  await sheet.getByRole('radio', { name: /^Full/ }).check();
  await sheet.getByLabel('Backup folder').fill(join(workDir, 'no-such-folder'));
  const planRow = sheet.getByTestId('backup-plan-row').filter({ hasText: 'nightly-01' });
  await expect(planRow.getByTestId('backup-refusal')).toContainText('is not an existing folder');
  await expect(sheet.getByTestId('backup-start')).toBeDisabled();
  await sheet.getByLabel('Backup folder').fill(folder);
  await expect(planRow.getByTestId('backup-plan-kind')).toHaveAttribute('data-kind', 'full');
  await expect(planRow).toContainText('full, as asked');
  await expect(planRow).toContainText('db01-disk0 (1 GiB)');
  await sheet.getByTestId('backup-start').click();
  await expect(sheet).toBeHidden();

  const first = await historyRow(app, 'Backup of VM nightly-01 (full, 1 disk)');
  await expect(first).toHaveAttribute('data-state', 'completed', { timeout: 60_000 });
  await first.getByRole('button', { name: 'Details' }).click();
  await expect(first.getByTestId('backup-disk')).toHaveAttribute('data-state', 'done');
  await expect(first.getByTestId('backup-disk')).toContainText('db01-disk0');
  const vmDir = join(folder, vmFolderName(vm));
  const runs = await readdir(vmDir);
  expect(runs).toEqual([expect.stringMatching(/^\d{8}T\d{6}Z-full$/)]);
  const manifest = JSON.parse(await readFile(join(vmDir, runs[0]!, 'manifest.json'), 'utf8')) as { kind: string; vm: { id: string }; disks: Array<{ id: string }> };
  expect(manifest).toMatchObject({ kind: 'full', vm: { id: vm.id }, disks: [{ id: disk.id }] });
  await expect(first.getByTestId('transfer-details')).toContainText(runs[0]!);
  // The list shows the run; the next backup (auto, the folder remembered) plans incremental on it.
  await expect(row.getByTestId('vm-last-backup')).toContainText('full', { timeout: 15_000 });
  await first.getByTestId('backup-disk').scrollIntoViewIfNeeded();
  await shot(app, 'backup-done');
  await first.getByRole('button', { name: 'Hide details' }).click();

  await host.sim.engine.vms.write(disk.id, 8 * MiB, randomBytes(MiB));
  await row.click({ button: 'right' });
  await app.getByTestId('context-menu').getByRole('menuitem', { name: 'Back up…' }).click();
  await expect(sheet.getByLabel('Backup folder')).toHaveValue(folder);
  await expect(planRow.getByTestId('backup-plan-kind')).toHaveAttribute('data-kind', 'incremental');
  await expect(planRow).toContainText(`on ${runs[0]!}`);
  await shot(app, 'backup-plan');
  await sheet.getByTestId('backup-start').click();
  await expect(sheet).toBeHidden();
  const second = await historyRow(app, 'Backup of VM nightly-01 (incremental, 1 disk)');
  await expect(second).toHaveAttribute('data-state', 'completed', { timeout: 60_000 });
  expect((await readdir(vmDir)).filter((n) => n.endsWith('-incremental'))).toHaveLength(1);

  // The VM's menu opens the backup history of that VM alone, read from the folder Back up… remembered
  // (another VM's unfinished run in it shows only once every VM is asked for).
  await mkdir(join(folder, 'other-01-0badf00d', '20261206T000000Z-full'), { recursive: true });
  await row.click({ button: 'right' });
  await expect(app.getByTestId('context-menu').getByRole('menuitem')).toHaveText(['Back up…', 'Backups…']);
  await app.getByTestId('context-menu').getByRole('menuitem', { name: 'Backups…' }).click();
  const history = app.getByTestId('backups');
  await expect(history.getByRole('heading', { name: 'Backups of nightly-01' })).toBeVisible();
  await expect(history.getByTestId('backups-folder')).toHaveValue(folder);
  const historyVms = history.getByTestId('backup-vm');
  await expect(historyVms).toHaveCount(1);
  await expect(historyVms).toContainText('VM nightly-01');
  await expect(historyVms).toContainText('2 runs');
  await expect(historyVms.getByTestId('backup-run').nth(0)).toContainText('incremental');
  await history.getByRole('button', { name: 'Show every VM' }).click();
  await expect(history.getByRole('heading', { name: 'Backups', exact: true })).toBeVisible();
  await expect(historyVms).toHaveCount(2);
  await expect(historyVms.filter({ hasText: 'VM other-01' })).toContainText('unfinished');
});

test('offers a backup of the VM instead of a running VM’s disk download', async ({ app }) => {
  await app.getByRole('checkbox', { name: 'Select vm-running-disk' }).check();
  await app.getByRole('button', { name: 'Download to…' }).click();
  const plan = app.getByTestId('download-plan');
  const vmRow = plan.getByTestId('plan-row').filter({ hasText: 'vm-running-disk' });
  await expect(vmRow.getByTestId('vm-running')).toContainText('VM app-01 is running: shut it down first, or back the VM up instead.');
  await vmRow.getByTestId('backup-instead').click();
  const sheet = app.getByTestId('backup-sheet');
  await expect(sheet.getByRole('heading', { name: 'Back up 1 VM' })).toBeVisible();
  await expect(sheet.getByTestId('backup-plan-row')).toContainText('app-01');
  await expect(sheet.getByTestId('backup-plan-row')).toContainText('vm-running-disk');
});
