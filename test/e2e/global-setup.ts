/** Builds the window once with Vite (into dist/renderer/, where the web host serves it from). */
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export default async function globalSetup(): Promise<void> {
  await build({ configFile: fileURLToPath(new URL('../../vite.config.ts', import.meta.url)), logLevel: 'warn' });
}
