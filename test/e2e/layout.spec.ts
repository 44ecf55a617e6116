/**
 * The window at its smallest supported size, 1024×700, in English and Japanese: no figure of a row,
 * no disk cell and no target is cut, the split between the left pane and the queue moves by mouse
 * and keyboard and is remembered (every key press, however late main's answers), Japanese labels do not break inside a word; and notices: the same
 * error once with a count, closed by Escape; a sheet closed by Escape gives the focus back.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { drawn, dropFiles, expect, historyRow, holdSettingsFrames, queueRow, shot, test, type HeldFrame } from './fixtures.js';
import type { Page } from '@playwright/test';
import { writeIso, writeRaw } from './images.js';

const MiB = 1024 * 1024;

test.use({ viewport: { width: 1024, height: 700 } });

/** What these checks read of an element in the page (this file is compiled without the DOM library). */
interface PageBox {
  readonly scrollWidth: number;
  readonly clientWidth: number;
  readonly className: string;
  readonly textContent: string | null;
  getClientRects(): { readonly length: number };
  getBoundingClientRect(): { readonly width: number };
}

/** Elements whose text is cut (wider than their box), described for the failure message. */
async function cutCells(app: Page, selector: string): Promise<string[]> {
  return app.locator(selector).evaluateAll((nodes) => {
    const els = nodes as unknown as PageBox[];
    return els.filter((el) => el.scrollWidth > el.clientWidth + 1 && el.getClientRects().length > 0).map((el) => `${el.className}: "${el.textContent ?? ''}" ${el.scrollWidth} > ${el.clientWidth}`);
  });
}

/** What must never be cut: a row's figures and target, the disk table, the status bar, the queue's fields ("10:00 PM"). */
const FIGURES = ['.transfer__pct', '.transfer__size', '.transfer__rate', '.transfer__eta', '.transfer__target', '.disk-table td.num', '.domain-list .num', '.status-bar > *', '.table-scroll', '.queue-controls input[type="text"]'].join(', ');

/** The left pane's width in CSS pixels. */
async function paneWidth(app: Page): Promise<number> {
  return app.locator('.sidebar').evaluate((el) => Math.round((el as unknown as PageBox).getBoundingClientRect().width));
}

test('works at 1024×700 in English and Japanese: nothing cut, a resizable split', async ({ app, host, workDir }) => {
  test.setTimeout(120_000);
  host.sim.faults.bandwidthBytesPerSecond = 2 * MiB;
  const raw = join(workDir, 'win2022-datacenter-sysprep.raw');
  const iso = join(workDir, 'rescue.iso');
  await writeRaw(raw, 320 * MiB, 200);
  await writeIso(iso, 48 * MiB);
  await dropFiles(app, [raw, iso]);
  await app.getByTestId('upload-plan').getByRole('button', { name: 'Start 2 uploads' }).click();
  for (const disk of ['fedora-40-root', 'web-01-disk1']) await app.getByRole('checkbox', { name: `Select ${disk}` }).check();
  await app.getByRole('button', { name: 'Download 2' }).click();
  await app.getByTestId('download-plan').getByLabel('Folder').fill(workDir);
  await app.getByTestId('download-plan').getByRole('button', { name: 'Download 2 disks' }).click();
  for (const name of ['win2022-datacenter-sysprep.raw', 'fedora-40-root'])
    await expect(queueRow(app, name).locator('.transfer__eta')).toHaveText(/\d:\d\d left/, { timeout: 30_000 });

  expect(await cutCells(app, FIGURES)).toEqual([]);
  // The whole target stays readable: the disk's storage domain is not cut off the row.
  await expect(queueRow(app, 'win2022-datacenter-sysprep.raw').locator('.transfer__target')).toContainText('data-nfs');
  // Nothing of the window scrolls sideways.
  expect(await app.locator('html').evaluate((el) => (el as unknown as PageBox).scrollWidth)).toBeLessThanOrEqual(1024);
  await shot(app, 'window-1024x700');

  // The splitter: dragged with the mouse, moved with the keyboard, remembered.
  const splitter = app.getByRole('separator', { name: 'Resize the left pane' });
  await expect(splitter).toBeVisible();
  const before = await paneWidth(app);
  const box = (await splitter.boundingBox())!;
  await app.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await app.mouse.down();
  await app.mouse.move(box.x + box.width / 2 - 80, box.y + box.height / 2, { steps: 5 });
  await app.mouse.up();
  await expect.poll(() => paneWidth(app)).toBeLessThan(before - 60);
  const dragged = await paneWidth(app);
  await splitter.focus();
  await app.keyboard.press('ArrowRight');
  await expect.poll(() => paneWidth(app)).toBeGreaterThan(dragged);
  await app.keyboard.press('Home');
  const narrowest = await paneWidth(app);
  expect(narrowest).toBeLessThan(dragged);
  await expect(splitter).toHaveAttribute('aria-valuenow', String(narrowest));
  // Narrowest: the disk table still shows its figures whole.
  expect(await cutCells(app, FIGURES)).toEqual([]);
  await app.keyboard.press('End');
  const widest = await paneWidth(app);
  expect(widest).toBeGreaterThan(before);
  // Widest: the queue keeps its figures whole.
  expect(await cutCells(app, FIGURES)).toEqual([]);
  await app.keyboard.press('Home');
  for (let i = 0; i < 5; i++) await app.keyboard.press('ArrowRight');
  // Five steps of 16 px; waited for, as the last press may not be drawn yet when the keys return.
  const chosen = narrowest + 5 * 16;
  await expect.poll(() => paneWidth(app)).toBe(chosen);
  // Remembered in the settings (main's), so a new window opens with it: reloaded once main has it.
  await expect.poll(() => host.core.snapshot('settings:changed').sidebarWidth).toBe(chosen);
  await app.reload();
  await expect(app.getByTestId('connection')).toHaveAttribute('data-status', 'connected');
  await expect.poll(() => paneWidth(app)).toBe(chosen);

  // Japanese: the same checks, and labels that do not break inside a word.
  await app.getByRole('button', { name: 'Settings' }).click();
  await app.getByTestId('settings').getByLabel('Language').selectOption('ja');
  await app.getByTestId('settings').getByRole('button', { name: 'Save' }).click();
  await expect(app.getByRole('heading', { name: 'キュー' })).toBeVisible();
  await expect(queueRow(app, 'fedora-40-root').locator('.transfer__eta')).toHaveText(/残り/, { timeout: 30_000 });
  expect(await cutCells(app, FIGURES)).toEqual([]);
  const breaks = await app.locator('.queue-controls label, .disk-table th, .selection-bar, .status-bar > *, .app-header button').evaluateAll((nodes) => {
    const style = (globalThis as unknown as { getComputedStyle(el: unknown): { wordBreak: string; whiteSpace: string } }).getComputedStyle;
    return nodes.filter((el) => style(el).wordBreak !== 'keep-all' && style(el).whiteSpace !== 'nowrap').map((el) => (el as unknown as PageBox).textContent);
  });
  expect(breaks).toEqual([]);
  await shot(app, 'window-1024x700-ja');
  // A refused time says why under its field, inside the window (the Japanese sentence is long and
  // the end field sits far right).
  const controls = app.getByRole('group', { name: 'キューの設定' });
  await controls.getByRole('checkbox', { name: '夜間の時間帯' }).check();
  const end = controls.getByRole('textbox', { name: '終了時刻' });
  await end.fill('25:00');
  await end.press('Enter');
  const problem = controls.getByRole('alert');
  await expect(problem).toContainText('時刻として読めません');
  const bubble = (await problem.boundingBox())!;
  expect(bubble.x).toBeGreaterThanOrEqual(0);
  expect(bubble.x + bubble.width).toBeLessThanOrEqual(1024);
  await end.fill('6:00');
  await end.press('Enter');
  await controls.getByRole('checkbox', { name: '夜間の時間帯' }).uncheck();
  host.sim.faults.bandwidthBytesPerSecond = null;
});

test('every key press on the splitter counts while main is still saving the earlier ones', async ({ app, host }) => {
  // Main's answers to the saves (the result and the settings event) are held back here, and each
  // press's older answers are let through only after the next press: the window must not step back
  // to a width the user has already moved past (it did, and a press in between was lost).
  const frames = await holdSettingsFrames(app);
  const widthOf = (f: HeldFrame) => Number(/"sidebarWidth":(\d+)/.exec(f.text)?.[1]);
  const splitter = app.getByRole('separator', { name: 'Resize the left pane' });
  frames.holding = true;
  await splitter.focus();
  await app.keyboard.press('Home');
  const narrowest = Number(await splitter.getAttribute('aria-valuenow'));
  for (let i = 1; i <= 5; i++) {
    const width = narrowest + 16 * i;
    await expect.poll(() => frames.held.length).toBeGreaterThan(0);
    await app.keyboard.press('ArrowRight');
    await expect(splitter).toHaveAttribute('aria-valuenow', String(width));
    await expect.poll(() => frames.held.some((f) => widthOf(f) === width)).toBe(true);
    // The answers to the press before this one arrive now, late.
    frames.release((f) => widthOf(f) === width);
    await drawn(app);
    await expect(splitter).toHaveAttribute('aria-valuenow', String(width));
  }
  frames.holding = false;
  frames.release();
  const chosen = narrowest + 5 * 16;
  await expect.poll(() => paneWidth(app)).toBe(chosen);
  await expect(splitter).toHaveAttribute('aria-valuenow', String(chosen));
  await expect.poll(() => host.core.snapshot('settings:changed').sidebarWidth).toBe(chosen);
});

test('Escape gives the focus back to what opened a sheet; an error shows once with a count and Escape closes it', async ({ app, workDir }) => {
  // A sheet closed with Escape returns the focus to the button that opened it.
  const settingsButton = app.getByRole('button', { name: 'Settings' });
  await settingsButton.click();
  await expect(app.getByTestId('settings')).toBeVisible();
  await app.keyboard.press('Escape');
  await expect(app.getByTestId('settings')).toBeHidden();
  await expect(settingsButton).toBeFocused();

  // The limit field says what it accepts; "1 Gbit/s" and a time typed in either clock are taken.
  const controls = app.getByRole('group', { name: 'Queue settings' });
  const limit = controls.getByRole('textbox', { name: 'Limit' });
  await limit.fill('abc');
  await limit.press('Enter');
  await expect(controls.getByTestId('limit-problem')).toContainText('200 (MiB/s), 40 MiB/s, 40 MB/s, 500 Mbit/s or 1 Gbit/s');
  await expect(limit).toHaveAttribute('aria-invalid', 'true');
  await limit.fill('1 Gbit/s');
  await limit.press('Enter');
  await expect(controls.getByTestId('limit-problem')).toHaveCount(0);
  await expect(app.getByTestId('queue-summary')).toContainText('limit 119 MiB/s');
  await controls.getByRole('checkbox', { name: 'Overnight window' }).check();
  const start = controls.getByRole('textbox', { name: 'Window starts' });
  await start.fill('9:30 pm');
  await start.press('Enter');
  await expect(start).toHaveValue(/^9:30\sPM$/);
  await expect(app.getByTestId('queue-summary')).toContainText(/window 9:30\sPM–6:00\sAM/);
  await start.fill('25:00');
  await start.press('Enter');
  await expect(controls.getByRole('alert')).toContainText('Not a time of day');

  await settingsButton.click();
  await app.getByTestId('settings').getByLabel('Language').selectOption('ja');
  await app.getByTestId('settings').getByRole('button', { name: 'Save' }).click();
  await expect(app.getByRole('heading', { name: 'キュー' })).toBeVisible();

  // A download whose file is then gone: showing it fails, in Japanese, naming the file.
  const out = join(workDir, 'out');
  await mkdir(out);
  await app.getByRole('checkbox', { name: 'db01-disk0 を選択' }).check();
  await app.getByRole('button', { name: '1 件ダウンロード' }).click();
  await app.getByTestId('download-plan').getByLabel('フォルダー').fill(out);
  await app.getByTestId('download-plan').getByRole('button', { name: '1 件のディスクをダウンロード' }).click();
  const row = await historyRow(app, 'db01-disk0');
  await expect(row).toHaveAttribute('data-state', 'completed', { timeout: 30_000 });
  await rm(out, { recursive: true, force: true });
  const reveal = row.locator('.icon--reveal');
  await reveal.click();
  await reveal.click();
  const notices = app.getByTestId('notice');
  await expect(notices).toHaveCount(1);
  await expect(notices.getByTestId('notice-count')).toHaveText('×2');
  await expect(notices).toContainText('ファイル「db01-disk0.raw」');
  await expect(app.getByRole('region', { name: 'お知らせ' })).toHaveAttribute('aria-live', 'polite');
  await shot(app, 'error-ja');
  await app.keyboard.press('Escape');
  await expect(notices).toHaveCount(0);

  // Its close button closes it too.
  await reveal.click();
  await expect(notices).toHaveCount(1);
  await expect(notices.getByTestId('notice-count')).toHaveCount(0);
  await notices.getByRole('button', { name: '閉じる' }).click();
  await expect(notices).toHaveCount(0);
});
