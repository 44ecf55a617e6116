/**
 * Running the command line in process: a writable stream that keeps what is written (typed as the
 * process streams main() expects), main() with captured output, --json output parsed, a Ctrl-C at the
 * first progress line, and a simulator harness set up for command-line tests.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../main/cli/index.js';
import type { CliPorts } from '../../main/cli/context.js';
import { startHarness, type Harness } from './helpers.js';

/**
 * The ports of an in-process command: the simulator moves a transfer's phases every 25 ms, so the
 * command reads them every 20 ms instead of every second (as the app core's tests do); the waits'
 * rules run on injected clocks in test/engine/ovirt. Commands run as child processes keep 1 s.
 */
export const CLI_PORTS: CliPorts = { pollIntervalMs: 20 };

/** See the file comment; `onWrite` sees each chunk as it arrives. */
export function capture(onWrite?: (text: string) => void): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      onWrite?.(chunk.toString());
      cb();
    },
  }) as unknown as NodeJS.WriteStream & { text: () => string };
  w.text = () => chunks.join('');
  return w;
}

/** Runs `diskferry ARGV…` in process: its exit code, stdout and stderr. */
export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(argv, { stdout, stderr }, CLI_PORTS);
  return { code, out: stdout.text(), err: stderr.text() };
}

/** Every stdout line of a --json run, parsed (throws, failing the test, when one is not JSON). */
export function jsonEvents(out: string): Array<Record<string, unknown>> {
  return out
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The `result` events of a --json run, in order. */
export function resultEvents(out: string): Array<Record<string, unknown>> {
  return jsonEvents(out).filter((e) => e['event'] === 'result');
}

/**
 * Output streams for a --json run that is interrupted like Ctrl-C (SIGINT to this process) as soon
 * as its first `transferring` progress line is written.
 */
export function interruptWhenTransferring(): { stdout: ReturnType<typeof capture>; stderr: ReturnType<typeof capture>; interrupted: () => boolean } {
  let interrupted = false;
  const stdout = capture((text) => {
    if (!interrupted && text.includes('"phase":"transferring"')) {
      interrupted = true;
      process.emit('SIGINT');
    }
  });
  return { stdout, stderr: capture(), interrupted: () => interrupted };
}

/**
 * An engine-4.5 harness for command-line tests: a config folder of its own, no DISKFERRY_PASSWORD in
 * the environment, the password in a file (`pw`). `close` restores the environment.
 */
export async function startCliHarness(): Promise<{ h: Harness; pw: string; close: () => Promise<void> }> {
  const env = process.env;
  const h = await startHarness('4.5');
  process.env = { ...env, DISKFERRY_CONFIG_DIR: join(h.dir, 'config') };
  delete process.env['DISKFERRY_PASSWORD'];
  const pw = join(h.dir, 'pw');
  await writeFile(pw, h.sim.password + '\n');
  return {
    h,
    pw,
    close: async () => {
      process.env = env;
      await h.close();
    },
  };
}
