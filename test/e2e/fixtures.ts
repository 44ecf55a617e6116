/**
 * Fixtures of the end-to-end tests: a fresh web host (simulator + app core + server) per test, the
 * page opened on it, a temporary folder, and helpers to drop files, wait for transfer states and
 * save screenshots of the main screens (test-results/screenshots/).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test as base, expect, type Locator, type Page } from '@playwright/test';
import { startDemoWebHost, type DemoWebHost } from '../../main/web-host/host.js';

/** Where screenshots of the main screens go (the best are copied to docs/screenshots/). */
export const SCREENSHOT_DIR = join(process.cwd(), 'test-results', 'screenshots');

interface Fixtures {
  /** Start with the demo engine added and selected (else: first run). */
  readonly demo: boolean;
  readonly host: DemoWebHost;
  readonly workDir: string;
  readonly app: Page;
}

export const test = base.extend<Fixtures>({
  demo: [true, { option: true }],
  // workDir is named so that it is set up before the host and removed after it has closed: a
  // download still running at the end of a test must not write into a folder being removed.
  host: async ({ demo, workDir: _workDir }, use) => {
    const host = await startDemoWebHost({ selectDemo: demo });
    await use(host);
    await host.close();
  },
  // Playwright needs the destructuring pattern even when a fixture uses no other fixture.
  // eslint-disable-next-line no-empty-pattern
  workDir: async ({}, use) => {
    const dir = await mkdtemp(join(tmpdir(), 'diskferry-e2e-'));
    await use(dir);
    await rm(dir, { recursive: true, force: true });
  },
  app: async ({ page, host, demo }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/favicon/.test(m.location().url)) errors.push(m.text());
    });
    await page.goto(host.host.url);
    if (demo) await expect(page.getByTestId('connection')).toHaveAttribute('data-status', 'connected');
    else await expect(page.getByTestId('first-run')).toBeVisible();
    await use(page);
    expect(errors, 'errors in the page (CSP violations, exceptions)').toEqual([]);
  },
});

export { expect };

/**
 * A time of day "HH:MM" as the window writes it under the tests' system locale (en-US: "10:00 PM"):
 * the window follows the system's hour cycle in its rows and its time fields alike.
 */
export function shownTime(hhmm: string, locale = 'en-US'): string {
  const [h, m] = hhmm.split(':').map(Number);
  return new Intl.DateTimeFormat(locale, { timeStyle: 'short', timeZone: 'UTC' }).format(Date.UTC(1970, 0, 1, h ?? 0, m ?? 0));
}

/** Saves a screenshot of the window (or of one element). */
export async function shot(target: Page | Locator, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await target.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), animations: 'disabled' });
}

/**
 * Drops files on the window the way a file manager does: File objects (whose local path a browser
 * page cannot know) plus a `text/uri-list` naming them.
 */
export async function dropFiles(page: Page, paths: readonly string[]): Promise<void> {
  const uris = paths.map((p) => pathToFileURL(p).href).join('\r\n');
  const names = paths.map((p) => p.split('/').pop() ?? p);
  const dataTransfer = await page.evaluateHandle(
    ({ uris, names }) => {
      // Runs in the page; this file is compiled without the DOM library, hence the local types.
      interface PageDataTransfer {
        readonly items: { add(file: unknown): void };
        setData(format: string, data: string): void;
      }
      const page = globalThis as unknown as { DataTransfer: new () => PageDataTransfer; File: new (bits: string[], name: string) => unknown };
      const dt = new page.DataTransfer();
      for (const name of names) dt.items.add(new page.File(['x'], name));
      dt.setData('text/uri-list', uris);
      return dt;
    },
    { uris, names },
  );
  await page.dispatchEvent('body', 'dragenter', { dataTransfer });
  await page.dispatchEvent('body', 'dragover', { dataTransfer });
  await expect(page.locator('.drop-overlay')).toBeVisible();
  await page.dispatchEvent('body', 'drop', { dataTransfer });
}

/** The queue row of a transfer by its name. */
export function queueRow(page: Page, name: string): Locator {
  return page.getByTestId('queue-list').getByTestId('transfer-row').filter({ hasText: name });
}

/** Opens the history list (if closed) and returns the row of a finished transfer. */
export async function historyRow(page: Page, name: string): Promise<Locator> {
  const toggle = page.getByRole('button', { name: /History|履歴/ });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  return page.getByTestId('history-list').getByTestId('transfer-row').filter({ hasText: name });
}

/** A frame from main held back by `holdSettingsFrames`. */
export interface HeldFrame {
  /** The frame as main sent it (JSON). */
  readonly text: string;
  /** Lets it through to the page now. */
  send(): void;
}

/** Main's frames that carry the settings, held back while `holding` is on. */
export interface SettingsFrames {
  holding: boolean;
  /** Held so far, in the order main sent them. */
  readonly held: HeldFrame[];
  /** Lets through the held frames that `keep` does not keep (all without it), in order. */
  release(keep?: (frame: HeldFrame) => boolean): void;
}

/**
 * Routes the page's socket to main so that the frames carrying the settings (a save's answer and the
 * settings event) can be held back, as a busy main answers late; reloads the page to route it.
 */
export async function holdSettingsFrames(app: Page): Promise<SettingsFrames> {
  const frames: SettingsFrames = {
    holding: false,
    held: [],
    release(keep = () => false) {
      const go = frames.held.filter((f) => !keep(f));
      frames.held.splice(0, frames.held.length, ...frames.held.filter(keep));
      for (const f of go) f.send();
    },
  };
  await app.routeWebSocket(/.*/, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((message) => {
      const text = String(message);
      if (frames.holding && text.includes('"sidebarWidth"')) frames.held.push({ text, send: () => ws.send(message) });
      else ws.send(message);
    });
  });
  await app.reload();
  await expect(app.getByTestId('connection')).toHaveAttribute('data-status', 'connected');
  return frames;
}

/** Waits for two frames to be drawn (what the page had received is on screen). */
export async function drawn(app: Page): Promise<void> {
  await app.evaluate(() => {
    const frame = (globalThis as unknown as { requestAnimationFrame(next: () => void): number }).requestAnimationFrame;
    return new Promise<void>((done) => frame(() => frame(done)));
  });
}
