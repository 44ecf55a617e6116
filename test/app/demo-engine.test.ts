/**
 * The demo engine over a real simulator process: the launcher here is the plain-Node one a host
 * without Electron would use (the Electron app forks the same command line as a utility process).
 * start() reads the connection line and the CA, the engine answers with them, stop() ends the
 * process; a simulator that cannot start makes start() fail and say so.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { simulatorDemoEngine, type ChildDemoEngine, type SimulatorLauncher } from '../../main/app/demo-engine.js';

const CLI = join(process.cwd(), 'main', 'simulator', 'cli.ts');
const exits: Promise<number | null>[] = [];

/** Runs the simulator's command line under Node (through tsx, as `npm run simulator` does). */
function nodeLauncher(extra: readonly string[] = []): SimulatorLauncher {
  return (args) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args, ...extra], { stdio: ['ignore', 'pipe', 'ignore'] });
    exits.push(new Promise((resolve) => child.once('exit', (code) => resolve(code))));
    return {
      stdout: child.stdout,
      onEnd: (listener) => child.once('exit', (code, signal) => listener(signal ? `signal ${signal}` : `exit code ${code}`)),
      stop: () => child.kill('SIGTERM'),
    };
  };
}

function getApi(engineUrl: string, caPem: string, username: string, password: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const auth = Buffer.from(`${username}:${password}`).toString('base64');
    const req = request(`${engineUrl}/api`, { ca: caPem, headers: { accept: 'application/json', authorization: `Basic ${auth}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('demo engine', () => {
  let demo: ChildDemoEngine | null = null;
  afterEach(async () => {
    demo?.stop();
    demo = null;
    await Promise.all(exits.splice(0));
  });

  it('starts the simulator, connects with what it printed, and stops it', async () => {
    demo = simulatorDemoEngine(nodeLauncher());
    const engine = await demo.start();
    expect(engine.engineUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/ovirt-engine$/);
    expect(engine.caPem).toContain('BEGIN CERTIFICATE');
    expect(await getApi(engine.engineUrl, engine.caPem, engine.username, engine.password)).toBe(200);
    demo.stop();
    expect(await exits[0]).toBe(0);
    await expect(getApi(engine.engineUrl, engine.caPem, engine.username, engine.password)).rejects.toThrow();
  });

  it('fails and says so when the simulator stops at start', async () => {
    demo = simulatorDemoEngine(nodeLauncher(['--engine-version', '9.9']));
    await expect(demo.start()).rejects.toThrow(/The demo engine stopped at start \(exit code 2\)/);
  });
});
