/** Language and theme: English or Japanese from the OS or the settings; light and dark from the OS. */
import { join } from 'node:path';
import { dropFiles, expect, queueRow, shot, shownTime, test } from './fixtures.js';
import { writeIso, writeRaw } from './images.js';

const MiB = 1024 * 1024;

/** "HH:MM" of now plus some hours, local time of the host (this process). */
function hoursFromNow(hours: number): string {
  const d = new Date(Date.now() + hours * 3600_000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

test('a busy queue, then the same window in dark and in Japanese', async ({ app, host, workDir }) => {
  host.sim.faults.bandwidthBytesPerSecond = 3 * MiB;
  const controls = app.getByRole('group', { name: 'Queue settings' });
  await controls.getByRole('combobox').selectOption('3');
  const limit = app.getByRole('textbox', { name: 'Limit' });
  await limit.fill('200 MiB/s');
  await limit.press('Enter');
  await expect(app.getByTestId('queue-summary')).toContainText('limit 200 MiB/s');
  await controls.getByRole('checkbox', { name: 'Overnight window' }).check();
  const start = hoursFromNow(2);
  await controls.getByLabel('Window starts').fill(start);
  await controls.getByLabel('Window ends').fill(hoursFromNow(6));
  await controls.getByLabel('Window ends').blur();
  await expect(app.getByTestId('queue-summary')).toContainText(`window ${shownTime(start)}–`);

  const raw = join(workDir, 'win2022.raw');
  const iso = join(workDir, 'rescue.iso');
  await writeRaw(raw, 320 * MiB, 200);
  await writeIso(iso, 48 * MiB);
  await dropFiles(app, [raw, iso]);
  await app.getByTestId('upload-plan').getByRole('button', { name: 'Start 2 uploads' }).click();
  for (const disk of ['fedora-40-root', 'web-01-disk1']) await app.getByRole('checkbox', { name: `Select ${disk}` }).check();
  await app.getByRole('button', { name: 'Download 2' }).click();
  await app.getByTestId('download-plan').getByLabel('Folder').fill(workDir);
  await app.getByTestId('download-plan').getByRole('button', { name: 'Download 2 disks' }).click();
  await app.getByRole('checkbox', { name: 'Select db01-disk0' }).check();
  await app.getByRole('button', { name: 'Download 1' }).click();
  await app.getByTestId('download-plan').getByRole('radio', { name: /In the window/ }).check();
  await app.getByTestId('download-plan').getByRole('button', { name: 'Download 1 disk' }).click();

  await expect(queueRow(app, 'db01-disk0').getByTestId('transfer-phase')).toHaveText(`queued — starts at ${shownTime(start)}`);
  await expect(app.getByTestId('queue-list').locator('[data-state="transferring"]')).toHaveCount(3);
  // Wait for a telling moment: every running transfer part way through.
  for (const name of ['win2022.raw', 'fedora-40-root', 'web-01-disk1'])
    await expect(queueRow(app, name).locator('.transfer__pct')).toHaveText(/^[1-9]\d?%$/, { timeout: 30_000 });
  await expect(app.getByTestId('status-totals')).toContainText('MiB/s');
  await queueRow(app, 'fedora-40-root').getByRole('button', { name: 'Details' }).click();
  await shot(app, 'main-window');

  await app.emulateMedia({ colorScheme: 'dark' });
  await expect(app.locator('body')).toHaveCSS('background-color', 'rgb(21, 24, 28)');
  await shot(app, 'main-window-dark');
  await app.emulateMedia({ colorScheme: 'light' });

  await app.getByRole('button', { name: 'Settings' }).click();
  await app.getByTestId('settings').getByLabel('Language').selectOption('ja');
  await app.getByTestId('settings').getByRole('button', { name: 'Save' }).click();
  await expect(app.getByRole('button', { name: '+ ファイルを追加…' })).toBeVisible();
  await expect(app.getByRole('heading', { name: 'キュー' })).toBeVisible();
  await expect(app.getByTestId('queue-summary')).toContainText('件実行中');
  await expect(queueRow(app, 'win2022.raw').getByTestId('transfer-phase')).toContainText('転送中');
  await expect(app.locator('html')).toHaveAttribute('lang', 'ja');
  await shot(app, 'main-window-ja');
  host.sim.faults.bandwidthBytesPerSecond = null;
});

test.describe('on a Japanese system', () => {
  test.use({ locale: 'ja-JP', demo: false });

  test('starts in Japanese and formats sizes and dates for Japan', async ({ app }) => {
    await expect(app.getByRole('heading', { name: 'DiskFerry へようこそ' })).toBeVisible();
    await app.getByRole('button', { name: 'デモエンジンを試す' }).click();
    await expect(app.getByTestId('connection')).toHaveText(/接続済み/);
    await expect(app.getByTestId('domains')).toContainText('1.5 TiB');
    await app.getByRole('button', { name: '設定' }).click();
    await app.getByTestId('settings').getByLabel('言語').selectOption('en');
    await app.getByTestId('settings').getByRole('button', { name: '保存' }).click();
    await expect(app.getByRole('heading', { name: 'Queue' })).toBeVisible();
  });
});

test('keeps a visible focus ring for keyboard users', async ({ app }) => {
  await app.keyboard.press('Tab');
  await app.keyboard.press('Tab');
  const focused = app.locator(':focus-visible');
  await expect(focused).toHaveCount(1);
  await expect(focused).toHaveCSS('outline-style', 'solid');
  await app.keyboard.press('Control+,');
  await expect(app.getByTestId('settings')).toBeVisible();
  await app.keyboard.press('Escape');
  await expect(app.getByTestId('settings')).toBeHidden();
});
