// End-to-end tests of the window: the real renderer (built by Vite in global setup) served by the
// web host, which runs the real app core against the in-process oVirt simulator, driven in the
// Debian Chromium (never a downloaded browser). One fresh host per test (its own simulator, data
// folder and OS-picked ports; see test/e2e/fixtures.ts), so tests share nothing and run two at a
// time, each test on its own: they mostly wait on the host. `--workers=1` runs them one by one.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results/e2e',
  globalSetup: './test/e2e/global-setup.ts',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 20_000 },
  reporter: process.env.CI ? [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]] : 'list',
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1360, height: 820 },
    locale: 'en-US',
    timezoneId: 'UTC',
    colorScheme: 'light',
    // The window honours prefers-reduced-motion (no bar transitions, no busy stripes): without it
    // Chromium repaints the bars' animations: its CPU in a whole run went 88 s -> 74 s with it
    // (docs/architecture.md, "The test suite"). Screenshots disable animations either way.
    reducedMotion: 'reduce',
    screenshot: 'only-on-failure',
    // A failed test keeps its trace (actions, DOM snapshots, network, console). The filmstrip of
    // screenshots is kept in CI only: taking it cost 11-18 s of the run's CPU here (Chromium encoding
    // frames the whole time, docs/architecture.md "The test suite"); `--trace on` records it locally.
    trace: { mode: 'retain-on-failure', screenshots: Boolean(process.env.CI), snapshots: true, sources: true },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
});
