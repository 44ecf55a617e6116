/**
 * The demo engine when DiskFerry runs from a source checkout: starts the built-in simulator
 * (`main/simulator/cli.ts --fast`) as a child process and reads its connection line. Packaged builds
 * have no simulator, so `checkoutDemoEngine` answers null there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DiskFerryError } from '../engine/errors.js';
import type { DemoEngine, DemoEnginePort } from './ports.js';

/** A demo engine port plus a way to stop the child on quit. */
export interface ChildDemoEngine extends DemoEnginePort {
  stop(): void;
}

/** The port, when `root` is a checkout with the simulator and tsx installed; else null. */
export async function checkoutDemoEngine(root: string): Promise<ChildDemoEngine | null> {
  const cli = join(root, 'main', 'simulator', 'cli.ts');
  const tsx = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');
  const present = await Promise.all([access(cli), access(tsx)]).then(
    () => true,
    () => false,
  );
  if (!present) return null;
  let child: ChildProcess | null = null;
  return {
    async start(): Promise<DemoEngine> {
      const proc = spawn(tsx, [cli, '--fast'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
      child = proc;
      const line = await new Promise<string>((resolve, reject) => {
        const rl = createInterface({ input: proc.stdout! });
        rl.once('line', (l) => {
          rl.close();
          resolve(l);
        });
        proc.once('exit', (code) => reject(new DiskFerryError('internal', `The demo engine stopped at start (exit code ${code}).`)));
        proc.once('error', (err) => reject(new DiskFerryError('internal', `The demo engine could not start: ${err.message}`, { cause: err })));
      });
      const info = JSON.parse(line) as { engine_url: string; username: string; password: string; ca_file: string };
      return { engineUrl: info.engine_url, username: info.username, password: info.password, caPem: await readFile(info.ca_file, 'utf8') };
    },
    stop() {
      child?.kill('SIGTERM');
      child = null;
    },
  };
}
