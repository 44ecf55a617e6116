import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { FirstRunSequencer } from './test/sequencer.js';

/**
 * Test files run side by side, each in a process of the pool (pool `forks`). Every port is picked by
 * the OS and every folder made by mkdtemp, so files share nothing. Most files spend their time
 * waiting on sockets, child processes and timers, not computing: one worker kept 2 cores about 40 %
 * busy. Two workers per core keep them busy; at most 8, since each worker holds a simulator and its
 * data. `--maxWorkers=N` on the command line wins.
 *
 * Two projects, one pool:
 * - `shared`: every file that mocks no module. A worker runs several of them one after the other
 *   in one module graph (`isolate: false`): each file no longer starts a process and imports the
 *   engine, the app core and the simulator anew, which was about a third of the CPU of the folders
 *   first moved here (test/engine, shared, renderer, simulator, scripts, web-host, cli) and ~45 s of
 *   the app, integration and reliability files' ~250 s (docs/architecture.md, "The test suite").
 *   Such a file must leave nothing behind: no module mocks, no fake timers left on, every server
 *   closed; test/setup-shared-process.ts fails a file that leaves the environment, the working
 *   folder or a signal or exit listener changed (and puts it back).
 * - `isolated`: the files that mock modules (`vi.mock`: Electron, the app core's modules), each in a
 *   fresh process. electron-store is compiled with them (`deps.inline`), so that the Electron it
 *   imports is the mock and the real store runs (test/app/document-files.test.ts).
 * The setup files run before every file either way, and install their hooks once per process.
 */
const WORKERS = Math.min(8, Math.max(2, availableParallelism() * 2));

/** The files that mock modules: the `isolated` project. */
const MOCKING = ['document-files', 'electron-glue', 'event-pump', 'ipc-rejection', 'simulator-process'].map((name) => `test/app/${name}.test.ts`);
const EXCLUDE = ['test/e2e/**', 'node_modules/**', 'dist/**'];

export default defineConfig({
  test: {
    exclude: EXCLUDE,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The secret ledger listens to the simulator's secret channel in every test process.
    setupFiles: ['test/setup-secret-ledger.ts'],
    maxWorkers: WORKERS,
    reporters: ['default'],
    // The longest files start first, also in a fresh clone (test/sequencer.ts).
    sequence: { sequencer: FirstRunSequencer },
    projects: [
      { extends: true, test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: [...EXCLUDE, ...MOCKING], isolate: false, setupFiles: ['test/setup-shared-process.ts'] } },
      { extends: true, test: { name: 'isolated', include: MOCKING, server: { deps: { inline: ['electron-store'] } } } },
    ],
  },
});
