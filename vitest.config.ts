import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Test files run side by side, each in a process of the pool (pool `forks`). Every port is picked by
 * the OS and every folder made by mkdtemp, so files share nothing. Most files spend their time
 * waiting on sockets, child processes and timers, not computing: one worker kept 2 cores about 40 %
 * busy. Two workers per core keep them busy; at most 8, since each worker holds a simulator and its
 * data. `--maxWorkers=N` on the command line wins.
 *
 * Two projects, one pool:
 * - `unit`: the folders whose files leave nothing behind in their process (no module mocks, no
 *   global fakes left on, every environment variable they set put back, every server closed). A
 *   worker runs several of them one after the other in one module graph (`isolate: false`): each
 *   file no longer imports and transforms the engine and the simulator anew, which was about a
 *   third of these folders' CPU time (docs/architecture.md, "The test suite").
 * - `integration`: the rest (the app core with its mocked Electron, the CLI in child processes, the
 *   fault and kill tests), each file in a fresh process as before.
 * The setup files run before every file either way, and install their hooks once per process.
 */
const WORKERS = Math.min(8, Math.max(2, availableParallelism() * 2));

/** The folders of the `unit` project. */
const UNIT = ['engine', 'shared', 'renderer', 'simulator', 'scripts', 'web-host', 'cli'].map((dir) => `test/${dir}/**/*.test.ts`);

export default defineConfig({
  test: {
    exclude: ['test/e2e/**', 'node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The secret ledger listens to the simulator's secret channel in every test process.
    setupFiles: ['test/setup-secret-ledger.ts'],
    maxWorkers: WORKERS,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, isolate: false } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**', 'node_modules/**', 'dist/**', ...UNIT] } },
    ],
  },
});
