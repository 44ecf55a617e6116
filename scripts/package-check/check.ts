/**
 * One packaging check: for each platform, a stand-in Electron, electron-builder's `dir` target, and
 * the checks on what came out. The full module load runs for Linux only: the packed node_modules
 * hold the build machine's native binaries, which only this machine can load.
 */
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { extractArchive, openArchive, sizeByPackage } from './archive.js';
import { runBuilder } from './builder.js';
import { checkContents } from './contents.js';
import type { Finding } from './finding.js';
import { checkFuses } from './fuses.js';
import { checkImports, type ManifestDeps } from './imports.js';
import { checkIntegrity } from './integrity.js';
import { checkLoad } from './load.js';
import { makeStandIn, platformOverrides, type TargetPlatform } from './stand-in.js';

/** What to check: a project folder (package.json, dist/, node_modules) and a builder config. */
export interface CheckOptions {
  readonly projectDir: string;
  readonly configPath: string;
  readonly platforms: readonly TargetPlatform[];
  /** An empty folder for stand-ins, builder output and extracted copies. */
  readonly workDir: string;
}

/** Findings per platform, and lines that describe what was checked. */
export interface CheckResult {
  readonly findings: ReadonlyArray<Finding & { platform: TargetPlatform }>;
  readonly notes: readonly string[];
}

interface BuilderConfig {
  productName?: string;
  executableName?: string;
  linux?: { executableName?: string };
  electronFuses?: Record<string, unknown>;
}

interface Manifest extends ManifestDeps {
  name: string;
}

/** Runs the whole check; never throws for a problem in the package, only reports it. */
export async function checkPackage(opts: CheckOptions): Promise<CheckResult> {
  const config = (yaml.load(await readFile(opts.configPath, 'utf8')) ?? {}) as BuilderConfig;
  const manifestJson = JSON.parse(await readFile(join(opts.projectDir, 'package.json'), 'utf8')) as Partial<Manifest>;
  const manifest: Manifest = { name: manifestJson.name ?? 'app', dependencies: manifestJson.dependencies ?? {}, devDependencies: manifestJson.devDependencies ?? {} };
  const electronVersion = (JSON.parse(await readFile(join(opts.projectDir, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
  const productName = config.productName ?? manifest.name;
  const executableName = config.linux?.executableName ?? config.executableName ?? manifest.name.toLowerCase();

  const findings: Array<Finding & { platform: TargetPlatform }> = [];
  const notes: string[] = [];
  for (const platform of opts.platforms) {
    // The same problem found again for another platform (an import, a dependency) is told once.
    const add = (list: readonly Finding[]) => findings.push(...list.filter((f) => !findings.some((g) => g.check === f.check && g.message === f.message)).map((f) => ({ ...f, platform })));
    const base = join(opts.workDir, platform);
    const electronDist = join(base, 'electron');
    await mkdir(base, { recursive: true });
    await makeStandIn(platform, electronDist, electronVersion);
    const overrides = await platformOverrides(platform, opts.projectDir, base);
    let output;
    try {
      output = await runBuilder({ projectDir: opts.projectDir, configPath: opts.configPath, platform, electronDist, electronVersion, outDir: join(base, 'out'), overrides, productName, executableName });
    } catch (err) {
      add([{ check: 'build', message: (err as Error).message }]);
      continue;
    }
    const archive = await openArchive(output.resourcesDir);
    const appDir = await mkdtemp(join(base, 'app-'));
    extractArchive(archive, appDir);

    add(await checkContents(archive, appDir));
    const imports = await checkImports(archive, appDir, manifest);
    add(imports.findings);
    const fuses = await checkFuses(output.fuseBinary, config.electronFuses);
    add(fuses.findings);
    const integrity = await checkIntegrity(platform, output.fuseBinary, archive.asarPath, config.electronFuses?.['enableEmbeddedAsarIntegrityValidation'] === true);
    add(integrity.findings);

    const unpacked = [...archive.files.values()].filter((f) => f.unpacked && /\.node$/.test(f.path)).map((f) => f.path);
    const packages = new Set(sizeByPackage(archive).map(([name]) => name).filter((n) => !n.startsWith('(app)')));
    notes.push(`${platform}: app.asar ${(archive.asarBytes / 1024 / 1024).toFixed(1)} MiB, ${archive.files.size} files, ${packages.size} packages; native libraries unpacked: ${unpacked.length ? unpacked.join(', ') : 'none'}; fuses ${fuses.states}; ${integrity.note}`);
    if (platform === 'linux' && process.platform === 'linux') {
      const load = await checkLoad(archive, appDir, imports.bare);
      add(load.findings);
      notes.push(`${platform}: loaded ${load.report.loaded.length} modules of the app under Node; electron members used at load: ${load.report.calls.join(', ') || 'none'}; native libraries opened: ${load.report.native.join(', ') || 'none'}`);
    } else if (unpacked.length) {
      notes.push(`${platform}: the native libraries packed are this build machine's (${process.platform}); build ${platform}'s installer on ${platform} (docs/packaging.md)`);
    }
  }
  return { findings, notes };
}
