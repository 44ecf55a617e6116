#!/usr/bin/env node
/**
 * The `diskferry` command line: the same transfer engine as the app, for scripts and overnight jobs.
 * Exit codes: 0 done, 1 failed, 2 usage error, 130 interrupted (Ctrl-C; the transfer is cleaned up).
 */
// eslint-disable-next-line no-restricted-syntax -- recordStats runs in an 'exit' listener
import { writeFileSync } from 'node:fs';
import { DiskFerryError } from '../engine/errors.js';
import { UsageError } from './password.js';
import { runLogin } from './commands/login.js';
import { runStorageDomains, runDisks } from './commands/list.js';
import { runUpload } from './commands/upload.js';
import { runDownload } from './commands/download.js';
import { runQueue, QUEUE_USAGE } from './commands/queue.js';
import { runChecksum } from './commands/checksum.js';
import { packageVersion } from './version.js';
import { CliContext, type CliPorts } from './context.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

const USAGE = `diskferry — move VM disk images in and out of oVirt

Usage:
  diskferry login --engine URL --username USER@PROFILE [--password-file F] [--ca-file F] [--trust-fingerprint FP] [--system-trust] [--name NAME]
  diskferry storage-domains [--json]
  diskferry disks [--search QUERY] [--max N] [--json]
  diskferry upload FILE… --storage-domain NAME [--name N] [--disk-format raw|cow] [--preallocated] [--workers N]
                      [--inactivity-timeout S] [--use-proxy] [--no-verify]
  diskferry download DISK… --output DIR [--format raw|qcow2] [--workers N] [--overwrite] [--no-resume]
                      [--inactivity-timeout S] [--use-proxy] [--no-verify]
  diskferry upload FILE --transfer-url URL [--proxy-url URL] --ca-file F [--as-is] [--no-verify]   (data plane only)
  diskferry download --transfer-url URL [--proxy-url URL] --ca-file F --output FILE [--overwrite] [--format raw|qcow2]
                      [--no-verify]   (data plane only)
  diskferry download --all --storage-domain NAME --output DIR | --search QUERY --output DIR   (queues the disks, runs the queue)
${QUEUE_USAGE}
  diskferry checksum FILE… [--algorithm blake2b|blake2s|sha1|sha256|sha512] [--block-size BYTES]
                      (the guest data's checksum as imageio computes it; no engine needed)
  diskferry --version   (the version of this diskferry)

Options for every command:
  --profile NAME         the engine profile to use (default: the last one you logged in to)
  --engine URL --username USER@PROFILE   use an engine without a saved profile
  --password-file F      read the password from F (else DISKFERRY_PASSWORD, else a prompt)
  --ca-file F            trust this CA certificate (PEM) for the engine and its hosts
  --system-trust         also trust the operating system's CAs
  --insecure             do not verify TLS certificates (dangerous: for labs only)
  --json                 machine-readable output: one JSON object a line
  --quiet, -q            no progress output
  --log-file F, --log-level error|warn|info|debug

Exit codes: 0 done, 1 failed, 2 usage error, 130 interrupted.`;

/** Runs the command line; returns the exit code. `ports` replaces real ones (tests: a file system that fills up). */
export async function main(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream } = process, ports: CliPorts = {}): Promise<number> {
  const [command, ...rest] = argv;
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
  const interrupt = new AbortController();
  const onSignal = () => {
    if (interrupt.signal.aborted) process.exit(EXIT_INTERRUPTED);
    io.stderr.write('\nInterrupted: cleaning up the transfer (press Ctrl-C again to quit at once)…\n');
    interrupt.abort(new DiskFerryError('cancelled', 'Interrupted.', { retryable: false }));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const ctx = new CliContext(io, interrupt.signal, ports);
  try {
    switch (command) {
      case 'login':
        return await runLogin(ctx, rest);
      case 'storage-domains':
        return await runStorageDomains(ctx, rest);
      case 'disks':
        return await runDisks(ctx, rest);
      case 'upload':
        return await runUpload(ctx, rest);
      case 'download':
        return await runDownload(ctx, rest);
      case 'queue':
        return await runQueue(ctx, rest);
      case 'checksum':
        return await runChecksum(ctx, rest);
      default:
        throw new UsageError(`Unknown command '${command}'. Run diskferry --help for the list.`);
    }
  } catch (err) {
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
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await ctx.close();
  }
}

/** The usage lines of one command (all its forms) and the options every command takes; null for an unknown command. */
export function commandUsage(command: string): string | null {
  const lines = USAGE.split('\n');
  const picked: string[] = [];
  let keep = false;
  for (const line of lines) {
    if (line.startsWith('  diskferry ')) keep = line.startsWith(`  diskferry ${command} `);
    else if (!line.startsWith('    ')) keep = false;
    if (keep) picked.push(line);
  }
  if (picked.length === 0) return null;
  const common = USAGE.slice(USAGE.indexOf('Options for every command:'));
  return ['Usage:', ...picked, '', common].join('\n');
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
