/**
 * Runs electron-builder's `dir` target for one platform with a stand-in Electron distribution, into
 * a folder of its own; says where the app's resources and the fuse-bearing binary landed.
 */
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { TargetPlatform } from './stand-in.js';

/** One electron-builder run. */
export interface BuilderRun {
  readonly projectDir: string;
  readonly configPath: string;
  readonly platform: TargetPlatform;
  readonly electronDist: string;
  readonly electronVersion: string;
  readonly outDir: string;
  /** electron-builder settings the check overrides for this platform (see platformOverrides). */
  readonly overrides: readonly string[];
  /** Names electron-builder derives from the configuration and package.json. */
  readonly productName: string;
  readonly executableName: string;
}

/** Where the packaged app is. */
export interface BuilderOutput {
  readonly resourcesDir: string;
  /** The file @electron/fuses reads (for macOS, the .app; it finds the framework inside). */
  readonly fuseBinary: string;
}

/** Runs electron-builder; rejects with the end of its output when it fails. */
export async function runBuilder(run: BuilderRun): Promise<BuilderOutput> {
  const cli = join(run.projectDir, 'node_modules', 'electron-builder', 'cli.js');
  const args = [
    cli,
    `--${run.platform}`,
    'dir',
    '--x64',
    '--projectDir',
    run.projectDir,
    '--config',
    run.configPath,
    `-c.electronDist=${run.electronDist}`,
    `-c.electronVersion=${run.electronVersion}`,
    `-c.directories.output=${run.outDir}`,
    ...run.overrides.map((o) => `-c.${o}`),
    '--publish',
    'never',
  ];
  const log = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: run.projectDir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CSC_IDENTITY_AUTO_DISCOVERY: 'false', ELECTRON_BUILDER_CACHE: join(run.outDir, '.cache') } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`electron-builder --${run.platform} dir failed (exit ${code}):\n${out.trim().split('\n').slice(-15).join('\n')}`))));
  });
  const output = locate(run);
  await access(join(output.resourcesDir, 'app.asar')).catch(() => {
    throw new Error(`electron-builder --${run.platform} dir wrote no ${join(output.resourcesDir, 'app.asar')}:\n${log.trim().split('\n').slice(-15).join('\n')}`);
  });
  return output;
}

function locate(run: BuilderRun): BuilderOutput {
  if (run.platform === 'linux') {
    const dir = join(run.outDir, 'linux-unpacked');
    return { resourcesDir: join(dir, 'resources'), fuseBinary: join(dir, run.executableName) };
  }
  if (run.platform === 'win') {
    const dir = join(run.outDir, 'win-unpacked');
    return { resourcesDir: join(dir, 'resources'), fuseBinary: join(dir, `${run.productName}.exe`) };
  }
  const app = join(run.outDir, 'mac', `${run.productName}.app`);
  return { resourcesDir: join(app, 'Contents', 'Resources'), fuseBinary: app };
}
