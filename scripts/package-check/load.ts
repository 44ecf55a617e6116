/**
 * The dynamic half of the module check: runs runtime/load-app.mjs in a child Node on the extracted
 * app and judges what it saw. The main entry must load to its end (it calls app.whenReady()), the
 * preload must expose its API, nothing may resolve outside the app, and every native library the
 * app opened must be one the asar marks unpacked (Electron cannot dlopen from inside app.asar).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Archive } from './archive.js';
import type { Finding } from './finding.js';
import type { BareImport } from './imports.js';

/** What the child reported. */
export interface LoadReport {
  readonly loaded: readonly string[];
  readonly calls: readonly string[];
  readonly native: readonly string[];
  readonly errors: readonly string[];
}

const LOADER = fileURLToPath(new URL('./runtime/load-app.mjs', import.meta.url));

function runLoader(appDir: string, lazy: readonly BareImport[]): Promise<LoadReport> {
  const args = [LOADER, appDir, JSON.stringify(lazy.map(({ importer, specifier }) => ({ importer, specifier })))];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: appDir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(last) as LoadReport);
      } catch {
        reject(new Error(`the load check ended with code ${code} and no report: ${err.trim().split('\n').slice(0, 5).join(' | ')}`));
      }
    });
  });
}

/** Loads the app from `appDir` (the extracted asar) and checks what it loaded. */
export async function checkLoad(archive: Archive, appDir: string, bare: readonly BareImport[]): Promise<{ findings: Finding[]; report: LoadReport }> {
  const report = await runLoader(appDir, bare);
  const findings: Finding[] = report.errors.map((message) => ({ check: 'load', message: `under Node with a stub electron, ${message}` }));
  if (!report.calls.includes('app.whenReady')) findings.push({ check: 'load', message: 'the main entry did not reach app.whenReady(): it failed or stopped while loading' });
  if (!report.calls.includes('contextBridge.exposeInMainWorld')) findings.push({ check: 'load', message: 'dist/preload/index.cjs did not call contextBridge.exposeInMainWorld: the window would have no API' });
  for (const lib of report.native) {
    const entry = archive.files.get(lib);
    if (!entry) findings.push({ check: 'native', message: `the app opened ${lib}, which is not in app.asar` });
    else if (!entry.unpacked) findings.push({ check: 'native', message: `the app loads ${lib}, but it is packed inside app.asar, where the OS cannot load it: unpack it (asarUnpack in electron-builder.yml)` });
  }
  return { findings, report };
}
