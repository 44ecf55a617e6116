import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { errorMessage } from '../engine/errors.js';
import { UsageError } from './errors.js';

/**
 * The password, from (in order) --password-file, the DISKFERRY_PASSWORD variable, or a hidden prompt
 * on the terminal. The CLI never stores it.
 */
export async function readPassword(options: {
  passwordFile?: string | undefined;
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
  prompt?: string;
}): Promise<string> {
  if (options.passwordFile) {
    const text = await readFile(options.passwordFile, 'utf8').catch((err: unknown) => {
      throw new UsageError(`Cannot read the password file ${options.passwordFile}: ${errorMessage(err)}`);
    });
    const pw = text.replace(/\r?\n$/, '');
    if (!pw) throw new UsageError(`The password file ${options.passwordFile} is empty.`);
    return pw;
  }
  const env = options.env ?? process.env;
  if (env['DISKFERRY_PASSWORD']) return env['DISKFERRY_PASSWORD'];
  const stdin = options.stdin ?? process.stdin;
  const stderr = options.stderr ?? process.stderr;
  if (!stdin.isTTY) throw new UsageError('No password: use --password-file FILE or set DISKFERRY_PASSWORD (there is no terminal to ask on).');
  return promptHidden(options.prompt ?? 'Password: ', stdin, stderr);
}

/** Asks on the terminal without echoing what is typed. */
function promptHidden(prompt: string, stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: stdin, output: stderr, terminal: true });
    const rlAny = rl as unknown as { _writeToOutput: (s: string) => void };
    stderr.write(prompt);
    rlAny._writeToOutput = () => {};
    rl.question('', (answer) => {
      rl.close();
      stderr.write('\n');
      resolve(answer);
    });
    rl.on('SIGINT', () => {
      rl.close();
      reject(new UsageError('Cancelled.'));
    });
  });
}

/** Asks a yes/no question on the terminal; false without a terminal. */
export async function confirm(question: string, stdin: NodeJS.ReadStream = process.stdin, stderr: NodeJS.WriteStream = process.stderr): Promise<boolean> {
  if (!stdin.isTTY) return false;
  const rl = createInterface({ input: stdin, output: stderr });
  const answer = await new Promise<string>((resolve) => rl.question(`${question} [y/N] `, resolve));
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}
