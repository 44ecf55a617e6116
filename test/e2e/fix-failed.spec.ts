/**
 * What failed is fixable from where it failed: an upload to a nearly full domain is warned of in the
 * plan, fails for space, and is sent to another domain from its row ("Change and retry…"); a batch
 * with one disk already in the queue queues the rest and says which was left out; a disk of a
 * running VM is marked in the plan and left out unless the user insists; a typed disk name the
 * engine already has is warned of.
 */
import { join } from 'node:path';
import { dropFiles, expect, historyRow, queueRow, shot, test } from './fixtures.js';
import { writeRaw } from './images.js';

const MiB = 1024 * 1024;

test('an upload that failed for space on a nearly full domain is changed to another domain and completes', async ({ app, host, workDir }) => {
  const raw = join(workDir, 'appliance.raw');
  await writeRaw(raw, 64 * MiB, 8);

  await dropFiles(app, [raw]);
  const plan = app.getByTestId('upload-plan');
  const domain = plan.getByLabel('Storage domain');
  await expect(domain.locator('option', { hasText: 'data-full' })).toHaveText(/data-full — 3 GiB free, below its 5 GiB threshold/);
  await domain.selectOption({ label: (await domain.locator('option', { hasText: 'data-full' }).textContent())! });
  // Warned before it starts, on the row and in one line above the buttons.
  await expect(plan.getByTestId('space-warning')).toContainText('data-full has 3 GiB free, below its critical space threshold of 5 GiB');
  await expect(plan.getByTestId('space-summary')).toContainText('1 file does not fit on data-full');
  await domain.selectOption({ label: (await domain.locator('option', { hasText: 'data-nfs' }).textContent())! });
  await expect(plan.getByTestId('space-warning')).toHaveCount(0);
  await domain.selectOption({ label: (await domain.locator('option', { hasText: 'data-full' }).textContent())! });
  // The user starts it anyway.
  await plan.getByRole('button', { name: 'Start 1 upload' }).click();
  await expect(plan).toBeHidden();

  const row = queueRow(app, 'appliance.raw');
  await expect(row).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
  await expect(row.getByTestId('transfer-hint')).toContainText('Change and retry');
  await row.getByRole('button', { name: 'Details' }).click();
  await row.getByTestId('retarget-open').click();
  const sheet = app.getByTestId('retarget');
  await expect(sheet.getByTestId('retarget-why')).toContainText('below its critical space threshold');
  // The domain it failed on for space is not offered first.
  await expect(sheet.getByLabel('Storage domain').locator('option:checked')).toHaveText(/^data-nfs/);
  await expect(sheet.getByTestId('space-warning')).toHaveCount(0);
  await sheet.getByLabel('Disk name').fill('appliance-nfs');
  await shot(app, 'change-and-retry');
  await sheet.getByRole('button', { name: 'Change and retry' }).click();
  await expect(sheet).toBeHidden();

  const done = await historyRow(app, 'appliance.raw');
  await expect(done).toHaveAttribute('data-state', 'completed', { timeout: 45_000 });
  const disks = await host.core.handlers['catalog:disks']({ search: 'appliance*' });
  expect(disks.map((d) => [d.name, d.storageDomainNames])).toEqual([['appliance-nfs', ['data-nfs']]]);
  // data-full, where it failed for space, is not the remembered default: the next plan suggests data-nfs.
  await dropFiles(app, [raw]);
  const next = app.getByTestId('upload-plan');
  await expect(next.getByLabel('Storage domain').locator('option:checked')).toHaveText(/^data-nfs/);
  // A typed name the engine already has is warned of too, and the warning wraps instead of being cut.
  await expect(next.getByTestId('same-name')).toHaveCount(0);
  await next.getByRole('textbox', { name: 'Disk name for appliance.raw' }).fill('web-01-disk1');
  const same = next.getByTestId('same-name');
  await expect(same).toContainText('The engine already has 1 disk named web-01-disk1. oVirt keeps both; rename this one to tell them apart.');
  await expect(same).toHaveCSS('white-space', 'normal');
  const box = await same.boundingBox();
  expect(box!.height).toBeGreaterThan(20); // more than one line of 12 px text: wrapped, not cut
  await next.getByRole('textbox', { name: 'Disk name for appliance.raw' }).fill('appliance-2');
  await expect(same).toHaveCount(0);
  await next.getByRole('button', { name: 'Cancel' }).click();
});

test('a download batch with one disk already in the queue queues the rest; a running VM’s disk is left out unless insisted on', async ({ app, host, workDir }) => {
  // One disk waits in the queue for a schedule window that opens in two hours.
  const at = (hours: number) => {
    const d = new Date(Date.now() + hours * 3600_000);
    return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  };
  await host.core.handlers['settings:set']({ scheduleWindow: { start: at(2), end: at(3) } });
  const plan = app.getByTestId('download-plan');
  await app.getByRole('checkbox', { name: 'Select fedora-40-root' }).check();
  await app.getByRole('button', { name: /Download 1/ }).click();
  await plan.getByLabel('Folder').fill(workDir);
  await plan.getByRole('radio', { name: /In the window/ }).check();
  await plan.getByRole('button', { name: 'Download 1 disk' }).click();
  await expect(plan).toBeHidden();
  await expect(queueRow(app, 'fedora-40-root')).toHaveAttribute('data-state', 'waiting');

  for (const name of ['fedora-40-root', 'db01-disk0', 'web-01-disk1', 'vm-running-disk']) await app.getByRole('checkbox', { name: `Select ${name}` }).check();
  await app.getByRole('button', { name: /Download 4/ }).click();
  await plan.getByLabel('Folder').fill(workDir);
  const vmRow = plan.getByTestId('plan-row').filter({ hasText: 'vm-running-disk' });
  await expect(vmRow.getByTestId('vm-running')).toContainText('VM app-01 is running: shut it down first, or back the VM up instead.');
  await expect(plan.getByRole('button', { name: 'Download 3 disks' })).toBeEnabled();
  await vmRow.getByRole('checkbox', { name: 'Download vm-running-disk anyway' }).check();
  await expect(plan.getByRole('button', { name: 'Download 4 disks' })).toBeEnabled();
  await vmRow.getByRole('checkbox', { name: 'Download vm-running-disk anyway' }).uncheck();
  await plan.getByRole('button', { name: 'Download 3 disks' }).click();

  // The sheet stays to say what happened: two queued, the one in the queue left out with its reason.
  await expect(plan.getByTestId('plan-outcome')).toHaveText('2 queued, 1 already in the queue');
  await expect(plan.getByTestId('plan-row').filter({ hasText: 'fedora-40-root' }).getByTestId('row-skipped')).toContainText('Already in the queue');
  await expect(plan.getByTestId('row-queued')).toHaveCount(2);
  await shot(app, 'download-plan-outcome');
  await plan.getByRole('button', { name: 'Close' }).click();
  await expect(plan).toBeHidden();
  for (const name of ['db01-disk0', 'web-01-disk1']) await expect(await historyRow(app, name)).toHaveAttribute('data-state', 'completed', { timeout: 45_000 });
  expect(host.core.snapshot('transfers:changed').transfers.filter((t) => t.name === 'fedora-40-root')).toHaveLength(1);
  expect(host.core.snapshot('transfers:changed').transfers.some((t) => t.name === 'vm-running-disk')).toBe(false);
  await host.core.handlers['settings:set']({ scheduleWindow: null });
});
