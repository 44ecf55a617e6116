/**
 * `npm run build:preload`: bundles preload/index.ts into one CommonJS file, dist/preload/index.cjs.
 * A sandboxed preload can require only `electron` (and a few polyfilled modules), so everything
 * else it uses is inlined; `electron` stays external. Of the contract it gets only the channel names
 * (main/web-host/contract-names.ts), not the schemas.
 */
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';
import { contractNamesOnly } from '../main/web-host/contract-names.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Builds the preload bundle into `outDir` (default dist/preload); returns the bundle's path. */
export async function buildPreload(outDir = join(root, 'dist', 'preload')): Promise<string> {
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    plugins: [contractNamesOnly()],
    build: {
      outDir,
      emptyOutDir: false,
      minify: false,
      sourcemap: false,
      target: 'chrome140',
      lib: { entry: 'preload/index.ts', formats: ['cjs'], fileName: () => 'index.cjs' },
      rollupOptions: { external: ['electron'] },
    },
  });
  return join(outDir, 'index.cjs');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await buildPreload();
