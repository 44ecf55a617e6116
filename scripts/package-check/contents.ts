/**
 * Checks on what app.asar holds, from its header alone: the files the app opens by path are there
 * (with what the window's HTML and CSS reference), nothing that must not ship is, native modules are
 * unpacked, and the archive stays within its size budget.
 */
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { type Archive, sizeByPackage } from './archive.js';
import type { Finding } from './finding.js';

/**
 * Files main/index.ts opens by path rather than by import: the preload bundle, the window's HTML
 * (served through the app:// scheme) and the window icon. The package's `main` is added from
 * package.json.
 */
export const OPENED_BY_PATH = ['dist/preload/index.cjs', 'dist/renderer/index.html', 'build/icons/512x512.png'] as const;

/**
 * The archive's budget. Today's app.asar is ~8.4 MiB (zod, undici and ajv are most of it); the
 * window-only packages (React, i18next, …) would add ~10 MiB, so a budget of 12 MiB catches them
 * coming back without tripping on an ordinary dependency update.
 */
export const ASAR_BUDGET_BYTES = 12 * 1024 * 1024;

/** Top-level folders and files the app may hold, and the parts of dist/ that ship. */
const ALLOWED_TOP = new Set(['package.json', 'dist', 'build', 'node_modules']);
const ALLOWED_DIST = [/^dist\/main\//, /^dist\/shared\//, /^dist\/preload\/index\.cjs$/, /^dist\/renderer\//];
const ALLOWED_BUILD = /^build\/icons\/[^/]+\.png$/;

/** What never ships, wherever it is, and why. */
const FORBIDDEN: ReadonlyArray<{ test: RegExp; why: string }> = [
  { test: /\.(?:ts|tsx|mts|cts)$/, why: 'a TypeScript source' },
  { test: /\.map$/, why: 'a source map' },
  { test: /(?:^|\/)\.env(?:\.[^/]*)?$/, why: 'an environment file' },
  { test: /(?:^|\/)\.npmrc$/, why: 'an npm configuration (may hold a registry token)' },
  { test: /\.(?:pem|key|p12|pfx)$/, why: 'a key or certificate file' },
  { test: /^dist\/main\/cli\//, why: 'the command line, which is not part of the desktop app' },
  { test: /^dist\/main\/web-host\//, why: 'the web host, which serves browsers and is not part of the desktop app' },
  { test: /(?:^|\/)(?:test|tests|__tests__)\/.*\.(?:test|spec)\.[cm]?js$/, why: 'a test' },
];

/** All findings about the archive's contents. */
export async function checkContents(archive: Archive, appDir: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  const has = (p: string) => archive.files.has(p);

  const pkg = JSON.parse(await readFile(posix.join(appDir, 'package.json'), 'utf8')) as { main?: string };
  const required = [pkg.main ?? 'index.js', ...OPENED_BY_PATH];
  for (const p of required) {
    if (!has(p)) findings.push({ check: 'contents', message: `${p} is not in app.asar; the app opens it at start (is it in electron-builder.yml's files?)` });
  }
  if (has('dist/renderer/index.html')) findings.push(...(await checkWindowReferences(archive, appDir)));

  for (const f of archive.files.values()) {
    const top = f.path.split('/')[0]!;
    if (!ALLOWED_TOP.has(top)) findings.push({ check: 'contents', message: `${f.path} is in app.asar, but only package.json, dist/, build/icons and node_modules ship` });
    else if (top === 'dist' && !ALLOWED_DIST.some((r) => r.test(f.path))) findings.push({ check: 'contents', message: `${f.path} is in app.asar, but only dist/main, dist/shared, dist/preload/index.cjs and dist/renderer ship` });
    else if (top === 'build' && !ALLOWED_BUILD.test(f.path)) findings.push({ check: 'contents', message: `${f.path} is in app.asar, but of build/ only the icons ship` });
    for (const rule of FORBIDDEN) {
      if (rule.test.test(f.path)) findings.push({ check: 'contents', message: `${f.path} must not ship: ${rule.why}` });
    }
  }

  for (const f of archive.files.values()) {
    if (!/\.(?:node|so(?:\.\d+)*|dll|dylib)$/.test(f.path)) continue;
    if (!f.unpacked) findings.push({ check: 'native', message: `${f.path} is a native library packed inside app.asar; the OS loader cannot open it there: unpack it (asarUnpack in electron-builder.yml)` });
  }

  if (archive.asarBytes > ASAR_BUDGET_BYTES) {
    const top = sizeByPackage(archive)
      .slice(0, 5)
      .map(([name, bytes]) => `${name} ${mib(bytes)}`)
      .join(', ');
    findings.push({ check: 'size', message: `app.asar is ${mib(archive.asarBytes)}, over its budget of ${mib(ASAR_BUDGET_BYTES)} (largest: ${top}); window-only packages belong in devDependencies, Vite bundles them` });
  }
  return findings;
}

/** The window's HTML and CSS reference only files that are in the archive. */
async function checkWindowReferences(archive: Archive, appDir: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const visit = async (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = await readFile(posix.join(appDir, file), 'utf8');
    const refs = file.endsWith('.html')
      ? [...text.matchAll(/\b(?:src|href)\s*=\s*["']([^"']+)["']/g)].map((m) => m[1]!)
      : file.endsWith('.css')
        ? [...text.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)].map((m) => m[1]!)
        : [...text.matchAll(/\bimport\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);
    for (const ref of refs) {
      if (/^(?:[a-z][a-z0-9+.-]*:|#|\/\/)/i.test(ref)) continue;
      const target = posix.normalize(posix.join(posix.dirname(file), ref.split(/[?#]/)[0]!));
      if (!archive.files.has(target)) findings.push({ check: 'window', message: `${file} references ${ref}, which is not in app.asar` });
      else if (/\.(?:css|js)$/.test(target)) await visit(target);
    }
  };
  await visit('dist/renderer/index.html');
  return findings;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
