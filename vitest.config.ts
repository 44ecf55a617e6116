import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The secret ledger listens to the simulator's secret channel in every test process.
    setupFiles: ['test/setup-secret-ledger.ts'],
    reporters: ['default'],
  },
});
