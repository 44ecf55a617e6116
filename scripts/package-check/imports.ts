/**
 * The static half of "everything the main process and the preload load is in the asar": every
 * import, re-export, dynamic import() and require() written in a shipped file (also the lazy ones a
 * start-up load never reaches, such as koffi in main/engine/os) must resolve inside the packed app.
 * Also: every runtime dependency is used by shipped code (a window-only package is bundled by Vite
 * and belongs in devDependencies), and the sandboxed preload requires nothing Electron refuses.
 */
import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import { readFile } from 'node:fs/promises';
import ts from 'typescript';
import type { Archive } from './archive.js';
import type { Finding } from './finding.js';

/** What a sandboxed preload may require (Electron's sandbox polyfills only these). */
const PRELOAD_ALLOWED = new Set(['electron', 'events', 'timers', 'url', 'node:events', 'node:timers', 'node:url']);
const PRELOAD = 'dist/preload/index.cjs';

/** The project's package.json lists, for messages that say where a package should go. */
export interface ManifestDeps {
  readonly dependencies: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
}

/** A bare specifier a shipped file uses, and which file. */
export interface BareImport {
  readonly importer: string;
  readonly specifier: string;
  readonly pkg: string;
}

/** The package name of a bare specifier (`@a/b/c` → `@a/b`, `x/y` → `x`). */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtinModules.includes(specifier);
}

/** Shipped code of our own: everything outside node_modules and the Vite-bundled window. */
function ownCode(archive: Archive): string[] {
  return [...archive.files.keys()].filter((p) => /\.(?:js|cjs|mjs)$/.test(p) && !p.startsWith('node_modules/') && !p.startsWith('dist/renderer/'));
}

/** Checks every specifier of our shipped code; returns the findings and the bare imports seen. */
export async function checkImports(archive: Archive, appDir: string, manifest: ManifestDeps): Promise<{ findings: Finding[]; bare: BareImport[] }> {
  const findings: Finding[] = [];
  const bare: BareImport[] = [];
  for (const file of ownCode(archive)) {
    const text = await readFile(posix.join(appDir, file), 'utf8');
    const specifiers = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
    for (const spec of new Set(specifiers)) {
      if (file === PRELOAD && !PRELOAD_ALLOWED.has(spec)) {
        findings.push({ check: 'imports', message: `${file} requires '${spec}', but a sandboxed preload can only require electron, events, timers and url: bundle it (scripts/build-preload.ts)` });
        continue;
      }
      if (spec === 'electron' || isBuiltin(spec)) continue;
      if (spec.startsWith('.') || spec.startsWith('/')) {
        const target = posix.normalize(posix.join(posix.dirname(file), spec));
        if (!archive.files.has(target)) findings.push({ check: 'imports', message: `${file} imports '${spec}', but ${target} is not in app.asar: add it to electron-builder.yml's files` });
        continue;
      }
      const pkg = packageName(spec);
      bare.push({ importer: file, specifier: spec, pkg });
      if (archive.files.has(`node_modules/${pkg}/package.json`)) continue;
      const where = manifest.devDependencies[pkg] !== undefined
        ? `it is only a devDependency, which electron-builder leaves out: move it to dependencies`
        : manifest.dependencies[pkg] !== undefined
          ? `it is in dependencies, yet electron-builder did not pack it`
          : `it is not in package.json's dependencies: add it there`;
      findings.push({ check: 'imports', message: `${file} imports '${spec}', but node_modules/${pkg} is not in app.asar; ${where}` });
    }
  }

  const used = new Set(bare.map((b) => b.pkg));
  for (const dep of Object.keys(manifest.dependencies)) {
    if (!used.has(dep)) findings.push({ check: 'dependencies', message: `'${dep}' is in dependencies, so it ships in app.asar, but no main-process or preload file imports it; if only the window uses it, move it to devDependencies (Vite bundles it)` });
  }
  if (manifest.dependencies['electron'] !== undefined) findings.push({ check: 'dependencies', message: `'electron' is in dependencies; it belongs in devDependencies (the runtime is the packaged binary)` });
  return { findings, bare };
}
