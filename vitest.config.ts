import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Test files run side by side, each in its own process (pool `forks`: its own module graph, env and
 * simulator; every port is picked by the OS and every folder made by mkdtemp, so files share
 * nothing). Most files spend their time waiting on sockets, child processes and timers, not
 * computing: one worker kept 2 cores about 40 % busy. Two workers per core keep them busy; at most
 * 8, since each worker holds a simulator and its data. `--maxWorkers=N` on the command line wins.
 */
const WORKERS = Math.min(8, Math.max(2, availableParallelism() * 2));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The secret ledger listens to the simulator's secret channel in every test process.
    setupFiles: ['test/setup-secret-ledger.ts'],
    maxWorkers: WORKERS,
    reporters: ['default'],
  },
});
