#!/usr/bin/env node
/**
 * The `diskferry` command line: the same transfer engine as the app, for scripts and overnight jobs.
 * Exit codes: 0 done, 1 failed, 2 usage error, 130 interrupted (Ctrl-C; the transfer is cleaned up),
 * 141 the reader of the output went away before a transfer was done (cleaned up the same way).
 */
// eslint-disable-next-line no-restricted-syntax -- recordStats runs in an 'exit' listener
import { writeFileSync } from 'node:fs';
import { DiskFerryError } from '../engine/errors.js';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_PIPE_CLOSED, EXIT_USAGE, UsageError } from './errors.js';
import type { CliContext, CliPorts } from './context.js';
import { listenForInterrupts } from './interrupt.js';
import { commandUsage, QUEUE_USAGE, USAGE } from './usage.js';
import { packageVersion } from './version.js';

export { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from './errors.js';

/** Runs the command line; returns the exit code. `ports` replaces real ones (tests: a file system that fills up). */
export async function main(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream } = process, ports: CliPorts = {}): Promise<number> {
  const [command, ...rest] = argv;
  const interrupt = new AbortController();
  const pipe = watchPipes(io, () => interrupt.abort(new DiskFerryError('cancelled', 'The output pipe closed.', { retryable: false })));
  if (command === '--version' || command === '-V' || command === 'version') {
    io.stdout.write(`diskferry ${await packageVersion()}\n`);
    return EXIT_OK;
  }
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' && rest[0] ? commandUsage(rest[0]) : null;
    io.stdout.write((topic ?? USAGE) + '\n');
    return command ? EXIT_OK : EXIT_USAGE;
  }
  const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  const help = options.includes('--help') || options.includes('-h') ? commandUsage(command) : null;
  if (help) {
    io.stdout.write(help + '\n');
    return EXIT_OK;
  }
  // Ctrl-C and SIGTERM abort the same controller as a closed output pipe.
  const signals = listenForInterrupts(io.stderr, interrupt);
  // The engine, the transport and the command are loaded only now: --version and --help stay instant.
  const { CliContext } = await import('./context.js');
  const ctx = new CliContext(io, interrupt.signal, ports);
  try {
    return await runCommand(ctx, command, rest);
  } catch (err) {
    // Nobody reads any more: stop without a word (a transfer was cleaned up like after Ctrl-C).
    if (pipe.closed) return EXIT_PIPE_CLOSED;
    if (err instanceof UsageError) {
      // --json may not have been parsed yet (an unknown command, a mistyped option): look for it too.
      if (ctx.json || rest.includes('--json')) io.stdout.write(JSON.stringify({ event: 'error', code: 'usage', message: err.message, retryable: false }) + '\n');
      io.stderr.write(`diskferry: ${err.message}\n`);
      return EXIT_USAGE;
    }
    if (interrupt.signal.aborted) {
      // What the transfer left behind (e.g. "The engine deleted the disk 'x'."), when it says more than that it stopped.
      const detail = err instanceof DiskFerryError && err.message !== 'Interrupted.' ? ` ${err.message}` : '';
      const message = `Interrupted.${detail}`;
      if (ctx.json) io.stdout.write(JSON.stringify({ event: 'error', code: 'interrupted', message, retryable: false }) + '\n');
      io.stderr.write(`diskferry: ${message}\n`);
      return EXIT_INTERRUPTED;
    }
    ctx.reportError(err);
    return EXIT_FAILED;
  } finally {
    signals.dispose();
    await ctx.close();
  }
}

/**
 * Watches the output streams for a reader that went away (`diskferry queue report | head`): EPIPE
 * (or any error of the stream) would otherwise be an unhandled 'error' event that kills the process with a stack trace. From then
 * on what is written is dropped and `onClosed` stops the command.
 */
function watchPipes(io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }, onClosed: () => void): { readonly closed: boolean } {
  const state = { closed: false };
  // EPIPE mostly; any error of an output stream means it takes nothing more.
  const onError = () => {
    if (state.closed) return;
    state.closed = true;
    onClosed();
  };
  io.stdout.on('error', onError);
  if (io.stderr !== io.stdout) io.stderr.on('error', onError);
  return state;
}

/** A command's entry point, loaded when the command runs (so one command never pays for the others' modules). */
type Command = (ctx: CliContext, args: string[]) => Promise<number>;

/** Every command: the only place that knows them all (commands never call each other). */
const COMMANDS: Record<string, () => Promise<Command>> = {
  login: async () => (await import('./commands/login.js')).runLogin,
  logout: async () => (await import('./commands/logout.js')).runLogout,
  profiles: async () => (await import('./commands/profiles.js')).runProfiles,
  'storage-domains': async () => (await import('./commands/list.js')).runStorageDomains,
  disks: async () => (await import('./commands/list.js')).runDisks,
  upload: async () => (await import('./commands/upload.js')).runUpload,
  download: async () => (await import('./commands/download.js')).runDownload,
  queue: () => Promise.resolve(runQueueCommand),
  checksum: async () => (await import('./commands/checksum.js')).runChecksum,
  transfers: async () => (await import('./commands/transfers.js')).runTransfers,
  restore: async () => (await import('./commands/restore.js')).runRestore,
  vms: async () => (await import('./commands/vms.js')).runVms,
  backup: async () => (await import('./commands/backup.js')).runBackup,
  backups: async () => (await import('./commands/backups.js')).runBackups,
};

/** The `queue` subcommands, loaded the same way. */
const QUEUE_COMMANDS: Record<string, () => Promise<Command>> = {
  add: async () => (await import('./commands/queue-add.js')).runQueueAdd,
  run: async () => (await import('./commands/queue-run.js')).runQueueRun,
  list: async () => (await import('./commands/queue-list.js')).runQueueList,
  report: async () => (await import('./commands/queue-list.js')).runQueueReport,
  ...Object.fromEntries(
    (['pause', 'resume', 'cancel'] as const).map((sub) => [
      sub,
      async (): Promise<Command> => {
        const { runQueueControl } = await import('./commands/queue-control.js');
        return (ctx, args) => runQueueControl(ctx, sub, args);
      },
    ]),
  ),
  ...Object.fromEntries(
    (['remove', 'move', 'priority', 'retry'] as const).map((sub) => [
      sub,
      async (): Promise<Command> => {
        const { runQueueChange } = await import('./commands/queue-change.js');
        return (ctx, args) => runQueueChange(ctx, sub, args);
      },
    ]),
  ),
};

/** Runs one command. */
async function runCommand(ctx: CliContext, command: string, args: string[]): Promise<number> {
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!load) throw new UsageError(`Unknown command '${command}'. Run diskferry --help for the list.`);
  return (await load())(ctx, args);
}

/** Runs `diskferry queue SUBCOMMAND …`. */
async function runQueueCommand(ctx: CliContext, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const load = sub !== undefined && Object.hasOwn(QUEUE_COMMANDS, sub) ? QUEUE_COMMANDS[sub] : undefined;
  if (!load)
    throw new UsageError(`Unknown queue command '${sub ?? ''}'. Use one of: ${Object.keys(QUEUE_COMMANDS).join(', ')}.\n${QUEUE_USAGE}`);
  return (await load())(ctx, rest);
}

const isEntry = process.argv[1] !== undefined && /[/\\]cli[/\\]index\.[jt]s$/.test(process.argv[1]);
/** With DISKFERRY_STATS_FILE set, the process writes its CPU time and peak memory there on exit (for benchmarks). */
function recordStats(): void {
  const file = process.env['DISKFERRY_STATS_FILE'];
  if (!file) return;
  const u = process.resourceUsage();
  // Synchronous on purpose: an 'exit' listener cannot wait for a promise.
  writeFileSync(file, JSON.stringify({ maxRssKiB: u.maxRSS, userCpuMs: u.userCPUTime / 1000, systemCpuMs: u.systemCPUTime / 1000 }));
}

if (isEntry) {
  process.once('exit', recordStats);
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`diskferry: unexpected error: ${String(err)}\n`);
      process.exitCode = EXIT_FAILED;
    },
  );
}
