/**
 * Running the command line in process: a writable stream that keeps what is written (typed as the
 * process streams main() expects), main() with captured output, and --json output parsed.
 */
import { Writable } from 'node:stream';
import { main } from '../../main/cli/index.js';

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
  const code = await main(argv, { stdout, stderr });
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
