/**
 * `npm run screenshots`: runs the e2e tests in Chromium (which save the main screens in
 * test-results/screenshots/) and copies every screenshot the README shows into docs/screenshots/,
 * so the README's pictures are the window as the tests last saw it. A picture the README names that
 * the run did not make is an error: a renamed or removed `shot()` must not leave a stale picture.
 *
 * `--copy-only` skips the test run (after `npm run test:e2e`).
 */
import { spawnSync } from 'node:child_process';
import { copyFile, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The docs/screenshots/NAME.png pictures a README names, in order, each once. */
export function screenshotsNamed(readme: string): string[] {
  return [...new Set([...readme.matchAll(/docs\/screenshots\/([\w.-]+\.png)/g)].map((m) => m[1]!))];
}

/** Copies each named picture from `from` to `to`; returns the names copied and those the run did not make. */
export async function copyScreenshots(names: readonly string[], from: string, to: string): Promise<{ copied: string[]; missing: string[] }> {
  const copied: string[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const source = join(from, name);
    if (!(await stat(source).then((s) => s.isFile(), () => false))) {
      missing.push(name);
      continue;
    }
    await copyFile(source, join(to, name));
    copied.push(name);
  }
  return { copied, missing };
}

async function main(): Promise<number> {
  const root = process.cwd();
  if (!process.argv.includes('--copy-only')) {
    const run = spawnSync(process.platform === 'win32' ? 'npx.cmd' : 'npx', ['playwright', 'test'], { stdio: 'inherit' });
    if (run.status !== 0) {
      process.stderr.write('screenshots: the e2e run failed; docs/screenshots/ was left as it was.\n');
      return 1;
    }
  }
  const names = screenshotsNamed(await readFile(join(root, 'README.md'), 'utf8'));
  const { copied, missing } = await copyScreenshots(names, join(root, 'test-results', 'screenshots'), join(root, 'docs', 'screenshots'));
  process.stdout.write(`screenshots: ${copied.length} of the README's ${names.length} pictures copied to docs/screenshots/\n`);
  if (missing.length > 0) {
    process.stderr.write(`screenshots: the e2e run made none of: ${missing.join(', ')} (a shot() renamed or removed? fix the README or the test)\n`);
    return 1;
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main();
