/**
 * A reader that goes away (`diskferry queue report | head`): the command stops without a word
 * instead of dying on an unhandled EPIPE with a stack trace; a transfer it cuts short is cleaned up
 * like after Ctrl-C, with exit code 141.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliHarness } from '../integration/capture.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

/** Runs the CLI with its stdout pipe closed by the reader before anything is written. */
function runWithClosedStdout(configDir: string, ...argv: string[]): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...argv], {
    cwd: ROOT,
    env: { ...process.env, DISKFERRY_CONFIG_DIR: configDir, DISKFERRY_KEYCHAIN: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.destroy();
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((res) => child.on('close', (code) => res({ code, err })));
}

describe('a closed output pipe', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'diskferry-pipe-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('ends queue list quietly with exit code 0', async () => {
    const r = await runWithClosedStdout(dir, 'queue', 'list');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  }, 30_000);

  it('ends queue report and the help quietly too', async () => {
    for (const argv of [['queue', 'report', '--csv', '--all'], ['--help']]) {
      const r = await runWithClosedStdout(dir, ...argv);
      expect(r.err, argv.join(' ')).toBe('');
      expect(r.code, argv.join(' ')).toBe(0);
    }
  }, 60_000);

  it('stops a download whose --json reader went away: exit 141, nothing on stderr, the engine transfer ended', async () => {
    const { h, pw, close } = await startCliHarness();
    try {
      const config = join(h.dir, 'config');
      const login = await runWithClosedStdout(config, 'login', '--engine', h.sim.engineUrl, '--username', h.sim.username, '--password-file', pw, '--trust-fingerprint', h.sim.caFingerprint, '--name', 'sim');
      expect(login.code, login.err).toBe(0);
      const r = await runWithClosedStdout(config, 'download', 'web-01-disk1', '--output', h.dir, '--json');
      expect(r.err).toBe('');
      expect(r.code).toBe(141);
      expect([...h.sim.engine.state.transfers.values()].filter((t) => !t.phase.startsWith('finished'))).toEqual([]);
    } finally {
      await close();
    }
  }, 60_000);
});
