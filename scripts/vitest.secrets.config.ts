// The project's vitest config plus the setup file that keeps what tests delete for the secrets scan
// (scripts/preserve-on-remove.ts). Used only by scripts/test-unit.ts.
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../vitest.config.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export default mergeConfig(
  base,
  defineConfig({
    root,
    test: { setupFiles: [fileURLToPath(new URL('./preserve-on-remove.ts', import.meta.url))] },
  }),
);
