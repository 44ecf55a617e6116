/**
 * `tsx scripts/package-check/failure-modes.ts` — proves the packaging check can fail: it packs the
 * already built app (run `npm run package:check` first; this reuses its dist/) with deliberately
 * broken configurations, each in a temporary folder, and asserts that the check reports each one
 * with a message that names the problem:
 *   - a main-process file left out of electron-builder.yml's `files`;
 *   - a runtime dependency that is only a devDependency;
 *   - a native module packed inside app.asar (no asarUnpack, no smart unpacking);
 *   - a window-only package (React) back in dependencies.
 * The unbroken configuration must pass in the same conditions, so a failure is the break's alone.
 * Exit: 0 when every case behaves; 1 with what did not.
 */
import { spawn } from 'node:child_process';
import { access, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { checkPackage, type CheckResult } from './check.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

interface Case {
  readonly name: string;
  /** Writes the project folder and config to check into `dir`; returns both. */
  prepare(dir: string): Promise<{ projectDir: string; configPath: string }>;
  /** What the findings must say; empty for the unbroken case, which must pass. */
  readonly expect: readonly RegExp[];
}

type Config = Record<string, unknown> & { files: string[] };

async function baseConfig(): Promise<Config> {
  return yaml.load(await readFile(join(ROOT, 'electron-builder.yml'), 'utf8')) as Config;
}

async function writeConfig(dir: string, config: Config): Promise<string> {
  const path = join(dir, 'electron-builder.yml');
  await writeFile(path, yaml.dump(config));
  return path;
}

/** A project folder beside the checkout: its own package.json, copies of dist/ and build/, the same node_modules. */
async function copyProject(dir: string, edit: (pkg: Record<string, Record<string, string>>) => void): Promise<string> {
  const projectDir = join(dir, 'project');
  await mkdir(projectDir, { recursive: true });
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
  edit(pkg);
  await writeFile(join(projectDir, 'package.json'), JSON.stringify(pkg, null, 2));
  await cp(join(ROOT, 'package-lock.json'), join(projectDir, 'package-lock.json'));
  await cp(join(ROOT, 'dist'), join(projectDir, 'dist'), { recursive: true });
  await cp(join(ROOT, 'build'), join(projectDir, 'build'), { recursive: true });
  await linkTree(join(ROOT, 'node_modules'), join(projectDir, 'node_modules'));
  return projectDir;
}

/**
 * A copy of node_modules made of hard links (a second or two; a plain copy where links cannot be
 * made). A symlinked node_modules would not do: npm then reports a partial tree to electron-builder.
 */
async function linkTree(from: string, to: string): Promise<void> {
  const linked = await new Promise<boolean>((ok) => {
    const child = spawn('cp', ['-al', from, to], { stdio: 'ignore' });
    child.once('error', () => ok(false));
    child.once('close', (code) => ok(code === 0));
  });
  if (!linked) {
    await rm(to, { recursive: true, force: true });
    await cp(from, to, { recursive: true, verbatimSymlinks: true });
  }
}

const CASES: readonly Case[] = [
  {
    name: 'the configuration as committed',
    async prepare(dir) {
      return { projectDir: ROOT, configPath: await writeConfig(dir, await baseConfig()) };
    },
    expect: [],
  },
  {
    name: 'a main-process file left out of files',
    async prepare(dir) {
      const config = await baseConfig();
      config.files = [...config.files, '!dist/main/window.js'];
      return { projectDir: ROOT, configPath: await writeConfig(dir, config) };
    },
    expect: [/\[imports\] dist\/main\/index\.js imports '\.\/window\.js', but dist\/main\/window\.js is not in app\.asar: add it to electron-builder\.yml's files/, /\[load\] .*loading dist\/main\/index\.js: ERR_MODULE_NOT_FOUND .*window\.js/],
  },
  {
    name: 'a runtime dependency only in devDependencies',
    async prepare(dir) {
      const projectDir = await copyProject(dir, (pkg) => {
        const undici = pkg['dependencies']!['undici']!;
        delete pkg['dependencies']!['undici'];
        pkg['devDependencies']!['undici'] = undici;
      });
      return { projectDir, configPath: await writeConfig(dir, await baseConfig()) };
    },
    expect: [/\[imports\] dist\/main\/engine\/[^ ]+ imports 'undici', but node_modules\/undici is not in app\.asar; it is only a devDependency, which electron-builder leaves out: move it to dependencies/, /\[load\] .*ERR_MODULE_NOT_FOUND .*'undici'/],
  },
  {
    name: 'a window-only package back in dependencies',
    async prepare(dir) {
      const projectDir = await copyProject(dir, (pkg) => {
        for (const name of ['react', 'react-dom']) {
          pkg['dependencies']![name] = pkg['devDependencies']![name]!;
          delete pkg['devDependencies']![name];
        }
      });
      return { projectDir, configPath: await writeConfig(dir, await baseConfig()) };
    },
    expect: [/\[dependencies\] 'react' is in dependencies, so it ships in app\.asar, but no main-process or preload file imports it; if only the window uses it, move it to devDependencies/, /\[dependencies\] 'react-dom' is in dependencies/, /\[size\] app\.asar is [\d.]+ MiB, over its budget of 12\.0 MiB \(largest: react-dom/],
  },
  {
    name: 'a native module not unpacked',
    async prepare(dir) {
      const config = await baseConfig();
      delete config['asarUnpack'];
      config['asar'] = { smartUnpack: false };
      return { projectDir: ROOT, configPath: await writeConfig(dir, config) };
    },
    expect: [/\[native\] node_modules\/@koromix\/koffi-linux-x64\/linux_x64\/koffi\.node is a native library packed inside app\.asar/, /\[native\] the app loads node_modules\/@koromix\/koffi-linux-x64\/linux_x64\/koffi\.node, but it is packed inside app\.asar/],
  },
];

function render(result: CheckResult): string[] {
  return result.findings.map((f) => `[${f.check}] ${f.message}`);
}

async function main(): Promise<number> {
  await access(join(ROOT, 'dist', 'main', 'index.js')).catch(() => {
    throw new Error('dist/ is not built: run `npm run package:check` (or `npm run build`) first');
  });
  const workDir = await mkdtemp(join(tmpdir(), 'diskferry-package-modes-'));
  let failures = 0;
  try {
    for (const [i, c] of CASES.entries()) {
      const dir = join(workDir, String(i));
      await mkdir(dir, { recursive: true });
      const { projectDir, configPath } = await c.prepare(dir);
      const lines = render(await checkPackage({ projectDir, configPath, platforms: ['linux'], workDir: join(dir, 'check') }));
      const missing = c.expect.filter((re) => !lines.some((l) => re.test(l)));
      const ok = c.expect.length === 0 ? lines.length === 0 : missing.length === 0;
      if (ok) {
        console.log(`failure-modes ok   ${c.name}${lines.length ? `: fails with\n    ${lines.join('\n    ')}` : ': passes'}`);
      } else {
        failures++;
        console.error(`failure-modes FAIL ${c.name}: ${c.expect.length === 0 ? 'the check should pass' : `missing ${missing.map(String).join(', ')}`}; the check said:\n    ${lines.join('\n    ') || '(nothing)'}`);
      }
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  return failures ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`failure-modes could not run: ${(err as Error).message}`);
    process.exit(2);
  },
);
