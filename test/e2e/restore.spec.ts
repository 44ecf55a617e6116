/**
 * The backup history and a restore from the window: a running VM's backups are made first through
 * the engine's backup run (a full run, then an incremental one after a guest write) into a folder;
 * the Backups… sheet reads that folder and lists the VM's runs; Restore… of the incremental run
 * into a storage domain, attached to the VM it came from; the job's row says what it restores, it
 * completes, the new disk shows in the disk list and is attached to the VM.
 */
import { randomBytes } from 'node:crypto';
import { backupVm } from '../../main/engine/backup/backup-run.js';
import { silentLog } from '../../main/engine/log.js';
import { OvirtClient } from '../../main/engine/ovirt/client.js';
import { realTimers } from '../../main/engine/timers.js';
import type { Simulator } from '../../main/simulator/simulator.js';
import { expect, historyRow, queueRow, shot, test } from './fixtures.js';

const MiB = 1024 * 1024;

/** A running VM with one disk, backed up twice into `folder` (full, then incremental). */
async function backedUpVm(sim: Simulator, folder: string): Promise<{ vmId: string; diskId: string }> {
  const client = new OvirtClient({ engineUrl: sim.engineUrl, username: sim.username, password: () => sim.password, trust: { caPem: [sim.caPem] }, log: silentLog, pollIntervalMs: 50 });
  try {
    await client.login();
    const disk = await client.createDisk({ name: 'db-02-data', provisionedSize: 64 * MiB, format: 'cow', sparse: true, storageDomain: { name: 'data-nfs' } });
    await client.waitForDiskOk(disk.id, { timeoutMs: 20_000 });
    const vm = sim.engine.vms.create({ name: 'db-02', status: 'up', disks: [disk.id] });
    await sim.engine.vms.write(disk.id, 0, randomBytes(6 * MiB));
    const deps = { client, trust: { caPem: [sim.caPem] }, log: silentLog, timers: realTimers, now: Date.now };
    await backupVm(deps, { vm: vm.name, outputDir: folder, mode: 'full' }, {});
    await sim.engine.vms.write(disk.id, 32 * MiB, randomBytes(2 * MiB));
    // Run folders are named to the second.
    await new Promise((r) => setTimeout(r, 1100));
    await backupVm(deps, { vm: vm.name, outputDir: folder, mode: 'auto' }, {});
    return { vmId: vm.id, diskId: disk.id };
  } finally {
    await client.logout().catch(() => {});
    await client.close();
  }
}

test('Backups…: a VM’s runs listed from a backup folder; Restore… into a domain, attached to the VM; the disk shows', async ({ app, host, workDir }) => {
  test.setTimeout(120_000);
  const { vmId } = await backedUpVm(host.sim, workDir);

  await app.getByTestId('open-backups').click();
  const sheet = app.getByTestId('backups');
  await expect(sheet.getByRole('heading', { name: 'Backups' })).toBeVisible();
  await expect(sheet).toContainText('Choose the folder your backups are in');
  await sheet.getByTestId('backups-folder').fill(workDir);
  await sheet.getByRole('button', { name: 'Read' }).click();

  const vm = sheet.getByTestId('backup-vm').filter({ hasText: 'VM db-02' });
  await expect(vm).toContainText('2 runs');
  const runs = vm.getByTestId('backup-run');
  await expect(runs).toHaveCount(2);
  // Newest first: the incremental one, which builds on the full one.
  await expect(runs.nth(0)).toContainText('incremental');
  await expect(runs.nth(0)).toContainText(/builds on \d{8}T\d{6}Z-full/);
  await expect(runs.nth(0)).toContainText('not compared with the server (changes only)');
  await expect(runs.nth(1)).toContainText('full');
  await expect(runs.nth(1).getByTestId('backup-disk')).toContainText('db-02-data — 64 MiB, 6 MiB of data fetched');
  await expect(runs.nth(1)).toContainText('verified');
  await shot(sheet, 'backups');

  await runs.nth(0).getByTestId('restore-run').click();
  const restore = app.getByTestId('restore');
  await expect(restore.getByRole('heading')).toHaveText(/^Restore disk db-02-data from /);
  const dataNfs = [...host.sim.engine.state.storageDomains.values()].find((d) => d.name === 'data-nfs')!.id;
  await restore.getByLabel('Storage domain').selectOption(dataNfs);
  await expect(restore.getByLabel('Disk name for db-02-data')).toHaveValue(/^db-02-data-\d{8}T\d{6}Z$/);
  await restore.getByLabel('Disk name for db-02-data').fill('db-02-data-restored');
  await expect(restore.getByRole('radio', { name: 'VM db-02 (the backup’s)' })).toBeChecked();
  await shot(restore, 'restore');
  await restore.getByRole('button', { name: 'Restore', exact: true }).click();
  await expect(restore).toBeHidden();

  const row = queueRow(app, 'Restore of disk db-02-data from').or(await historyRow(app, 'Restore of disk db-02-data from'));
  await expect(row.first()).toContainText('then attached to db-02');
  const done = await historyRow(app, 'Restore of disk db-02-data from');
  await expect(done).toHaveAttribute('data-state', 'completed', { timeout: 60_000 });

  // The new disk shows in the disk list, and the VM has it.
  await app.getByRole('button', { name: 'Refresh' }).first().click();
  await expect(app.getByTestId('disks')).toContainText('db-02-data-restored');
  const restored = [...host.sim.engine.state.disks.values()].find((d) => d.name === 'db-02-data-restored')!;
  expect(host.sim.engine.state.vms.get(vmId)!.diskIds).toContain(restored.id);
});
