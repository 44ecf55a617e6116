/**
 * `npm run build:preload`: bundles preload/index.ts into one CommonJS file, dist/preload/index.cjs.
 * A sandboxed preload can require only `electron` (and a few polyfilled modules), so everything
 * else it uses is inlined; `electron` stays external.
 */
import { build } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({
  configFile: false,
  root,
  logLevel: 'warn',
  build: {
    outDir: 'dist/preload',
    emptyOutDir: false,
    minify: false,
    sourcemap: false,
    target: 'chrome140',
    lib: { entry: 'preload/index.ts', formats: ['cjs'], fileName: () => 'index.cjs' },
    rollupOptions: { external: ['electron'] },
  },
});
