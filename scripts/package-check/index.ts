/**
 * `npm run package:check [-- --skip-build] [-- --platform=linux,win,mac] [-- --keep]` — builds the
 * app (`npm run build`), packs it with electron-builder for each platform against a stand-in
 * Electron distribution, and checks the result (docs/packaging.md, "What the check covers").
 * Exit: 0 when every check passes; 1 with the findings, each saying what to do.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPackage } from './check.js';
import type { TargetPlatform } from './stand-in.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const ALL: readonly TargetPlatform[] = ['linux', 'win', 'mac'];

function npmBuild(): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', fail);
    child.once('close', (code) => (code === 0 ? ok() : fail(new Error(`npm run build failed (exit ${code})`))));
  });
}

function parsePlatforms(arg: string | undefined): TargetPlatform[] {
  if (!arg) return [...ALL];
  const list = arg.split(',').map((s) => s.trim());
  const bad = list.filter((p) => !(ALL as readonly string[]).includes(p));
  if (bad.length) throw new Error(`unknown platform ${bad.join(', ')}; use ${ALL.join(', ')}`);
  return list as TargetPlatform[];
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const platforms = parsePlatforms(args.find((a) => a.startsWith('--platform='))?.slice('--platform='.length));
  if (!args.includes('--skip-build')) await npmBuild();
  const workDir = await mkdtemp(join(tmpdir(), 'diskferry-package-'));
  const started = Date.now();
  try {
    const { findings, notes } = await checkPackage({ projectDir: ROOT, configPath: join(ROOT, 'electron-builder.yml'), platforms, workDir });
    for (const note of notes) console.log(`package:check ${note}`);
    for (const f of findings) console.error(`package:check FAIL [${f.platform} ${f.check}] ${f.message}`);
    console.log(`package:check ${findings.length ? `${findings.length} problem(s)` : 'passed'} for ${platforms.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return findings.length ? 1 : 0;
  } finally {
    if (args.includes('--keep')) console.log(`package:check output kept in ${workDir}`);
    else await rm(workDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`package:check could not run: ${(err as Error).message}`);
    process.exit(2);
  },
);
