/**
 * The `diskferry` command line for the queue tests: in process through main() (add, list, report…),
 * and `queue run` as a real child process (tsx, in its own process group so kill -9 reaches the node
 * process tsx starts), with its JSON event lines collected.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { main } from '../../main/cli/index.js';
import { startHarness, type Harness } from './helpers.js';
import { capture, CLI_PORTS } from './capture.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

/** A `queue run` child process. */
export interface RunningCli {
  readonly child: ChildProcess;
  readonly events: Array<Record<string, unknown>>;
  readonly stderr: string[];
  /** tsx's exit code, once every process of the group has ended (see groupEnded). */
  readonly exited: Promise<number | null>;
}

/**
 * Resolves once no process of group `pgid` runs any more (zombies do not count: the product ignores
 * them too). tsx exits as soon as its node child is killed, but a SIGKILLed process finishes the
 * system call it is in first, and a busy machine's fdatasync can take a while: a restart that
 * came before then would find the old run still holding the queue lock.
 */
async function groupEnded(pgid: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = (await readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
    const stats = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')));
    const running = stats.some((stat) => {
      // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X';
    });
    if (!running || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The CLI bound to one simulator and one config folder. */
export class CliHarness {
  readonly configDir: string;
  readonly pw: string;
  private readonly children: ChildProcess[] = [];
  private readonly savedEnv = process.env;

  constructor(private readonly h: Pick<Harness, 'sim' | 'dir'>) {
    this.configDir = join(h.dir, 'config');
    this.pw = join(h.dir, 'pw');
  }

  /** Points the CLI at the config folder, writes the password file and logs in (profile `sim`). */
  async setUp(): Promise<void> {
    process.env = { ...this.savedEnv, DISKFERRY_CONFIG_DIR: this.configDir };
    delete process.env['DISKFERRY_PASSWORD'];
    await writeFile(this.pw, this.h.sim.password + '\n');
    const login = await this.cli('login', '--engine', this.h.sim.engineUrl, '--username', this.h.sim.username, '--password-file', this.pw, '--trust-fingerprint', this.h.sim.caFingerprint, '--name', 'sim');
    expect(login.code, login.err).toBe(0);
  }

  /** Kills children still running and restores the environment. */
  tearDown(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) this.signal(c, 'SIGKILL');
    process.env = this.savedEnv;
  }

  /** Runs `diskferry ARGS…` in this process. */
  async cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const stdout = capture();
    const stderr = capture();
    const code = await main(argv, { stdout, stderr }, CLI_PORTS);
    return { code, out: stdout.text(), err: stderr.text() };
  }

  /** Starts `diskferry queue run --json --password-file PW ARGS…` as a child process. */
  startRun(...args: string[]): RunningCli {
    return this.start(['queue', 'run', '--json', '--password-file', this.pw, ...args]);
  }

  /** Starts `diskferry ARGV…` as a child process (its own process group), with extra environment. */
  start(argv: readonly string[], env: Record<string, string> = {}): RunningCli {
    const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...argv], {
      cwd: ROOT,
      env: { ...this.savedEnv, DISKFERRY_CONFIG_DIR: this.configDir, ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.push(child);
    const events: Array<Record<string, unknown>> = [];
    const stderr: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (l) => events.push(JSON.parse(l) as Record<string, unknown>));
    createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code))).then(async (code) => {
      if (process.platform === 'linux') await groupEnded(child.pid!);
      return code;
    });
    return { child, events, stderr, exited };
  }

  /**
   * Sends a signal to the child's whole process group, as a terminal or a service manager does. The
   * child is node itself with tsx as a loader (no tsx wrapper process whose own relay of the signal
   * could time out on a busy machine and die of it: exit 143 instead of the command's 130).
   */
  signal(child: ChildProcess, signal: NodeJS.Signals): void {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  }
}

/** A simulator (4.5 unless told) with the CLI set up against it, for one test file (close it in afterAll). */
export async function startCliHarness(version: Parameters<typeof startHarness>[0] = '4.5'): Promise<{ h: Harness; c: CliHarness; close(): Promise<void> }> {
  const h = await startHarness(version);
  const c = new CliHarness(h);
  await c.setUp();
  return {
    h,
    c,
    close: async () => {
      c.tearDown();
      await h.close();
    },
  };
}
