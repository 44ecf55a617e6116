#!/usr/bin/env -S node --max-semi-space-size=2
// The installed `diskferry` command: runs the compiled CLI (npm run build makes dist/).
// --max-semi-space-size=2 (MiB): V8's young generation otherwise grows towards 3 x 16 MiB over a
// long transfer although a transfer keeps ~15 MiB of objects alive, and a 16 GiB download peaked at
// 111 MiB of memory instead of 85 MiB, at the same CPU (docs/benchmarks.md). `env -S` splits the
// line into node and its flags (coreutils 8.30+, macOS, FreeBSD); npm's Windows shims read it too.
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
