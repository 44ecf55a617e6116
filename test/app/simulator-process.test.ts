/**
 * The Electron launcher of the demo engine, with the one allowed mock: the `electron` module (its
 * runtime cannot start here). The stand-in `utilityProcess.fork` runs the given module under Node as
 * Electron would run it in a utility process, so the demo engine talks to a real simulator: the
 * launcher must fork the simulator's command line with `--fast`, stdout piped and stdin ignored,
 * and stop it with kill().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const forks = vi.hoisted(() => [] as Array<{ modulePath: string; args: string[]; options: Record<string, unknown>; child: ChildProcess; kills: number }>);

vi.mock('electron', () => ({
  utilityProcess: {
    fork(modulePath: string, args: string[], options: Record<string, unknown>) {
      const child = spawn(process.execPath, ['--import', 'tsx', modulePath, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
      const record = { modulePath, args, options, child, kills: 0 };
      forks.push(record);
      const utility = new EventEmitter() as EventEmitter & { stdout: NodeJS.ReadableStream | null; kill(): boolean };
      utility.stdout = child.stdout;
      utility.kill = () => {
        record.kills++;
        return child.kill('SIGTERM');
      };
      child.once('exit', (code) => utility.emit('exit', code ?? 1));
      return utility;
    },
  },
}));

const { utilitySimulatorLauncher } = await import('../../main/platform/simulator-process.js');
const { simulatorDemoEngine } = await import('../../main/app/demo-engine.js');

const CLI = join(process.cwd(), 'main', 'simulator', 'cli.ts');

describe('demo engine in a utility process', () => {
  afterEach(async () => {
    for (const f of forks.splice(0)) {
      if (f.child.exitCode === null && f.child.signalCode === null) {
        f.child.kill('SIGKILL');
        await new Promise((r) => f.child.once('exit', r));
      }
    }
  });

  it('forks the simulator with --fast and its stdout piped, and stops it with kill()', async () => {
    const demo = simulatorDemoEngine(utilitySimulatorLauncher(CLI));
    const engine = await demo.start();
    expect(engine.engineUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/ovirt-engine$/);
    expect(engine.caPem).toContain('BEGIN CERTIFICATE');
    expect(forks).toHaveLength(1);
    const f = forks[0]!;
    expect(f.modulePath).toBe(CLI);
    expect(f.args).toEqual(['--fast']);
    expect(f.options['stdio']).toEqual(['ignore', 'pipe', 'ignore']);
    const exited = new Promise<number | null>((r) => f.child.once('exit', (code) => r(code)));
    demo.stop();
    expect(f.kills).toBe(1);
    expect(await exited).toBe(0);
  });
});
