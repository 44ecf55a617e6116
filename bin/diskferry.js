#!/usr/bin/env node
// The installed `diskferry` command: runs the compiled CLI (npm run build makes dist/).
import { access } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main', 'cli', 'index.js');
if (!(await access(entry).then(() => true, () => false))) {
  process.stderr.write('diskferry: the command line is not built yet. Run `npm run build` (or use `npm run cli -- …` from a checkout).\n');
  process.exit(2);
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
