import { readFile, appendFile } from 'node:fs/promises';
import { asDiskFerryError } from '../engine/errors.js';
import { createLog, silentLog, type Log, type LogLevel } from '../engine/log.js';
import { realTimers } from '../engine/timers.js';
import { OvirtClient } from '../engine/ovirt/client.js';
import { splitPemBundle, type TrustSettings } from '../engine/trust/tls.js';
import type { TransferDeps } from '../engine/transfer/deps.js';
import type { FilePort } from '../engine/fs/file-port.js';
import { TransferControl } from '../engine/transfer/control.js';
import { hashThreadWanted } from '../engine/image/verify.js';
import type { TransferProgress } from '../../shared/model.js';
import { ProfileStore, uploadJournalDir, type EngineProfile } from './config.js';
import { readPassword } from './password.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './errors.js';
import { ProgressPrinter, type ProgressMode } from './progress.js';
import type { GlobalValues } from './args.js';

/** Ports the command line can be given instead of the real ones. */
export interface CliPorts {
  /** The file system downloads write to. */
  readonly files?: FilePort;
}

/** Per-run state of the CLI: output streams, interrupt signal, log, and the engine connection. */
export class CliContext {
  readonly profiles = new ProfileStore();
  private client: OvirtClient | null = null;
  private logInstance: Log = silentLog;
  private secrets: string[] = [];
  private logToFile = false;
  /** The progress printer of the transfer running now: its line is ended before a result is printed. */
  private activePrinter: ProgressPrinter | null = null;
  json = false;
  quiet = false;

  constructor(
    readonly io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
    readonly signal: AbortSignal,
    private readonly ports: CliPorts = {},
  ) {}

  /** The log (redacted; to --log-file, or warnings to stderr — errors only with --quiet). */
  get log(): Log {
    return this.logInstance;
  }

  /** Applies the global options that do not need the engine. */
  applyGlobals(values: GlobalValues): void {
    this.json = values.json ?? false;
    this.quiet = values.quiet ?? false;
    // On stderr the log shows warnings (a retry, the proxy fallback); --quiet keeps only errors there,
    // unless --log-level asks for more. A --log-file gets info by default.
    const level = (values['log-level'] ?? (values['log-file'] ? 'info' : this.quiet ? 'error' : 'warn')) as LogLevel;
    if (!['error', 'warn', 'info', 'debug'].includes(level)) throw new UsageError(`--log-level must be error, warn, info or debug, not '${level}'.`);
    const file = values['log-file'];
    this.logToFile = Boolean(file);
    this.logInstance = createLog({
      level,
      json: Boolean(file),
      secrets: () => this.secrets,
      write: file ? (line) => void appendFile(file, line + '\n').catch(() => {}) : (line) => this.io.stderr.write(line + '\n'),
    });
  }

  /** The progress printer for this run's output mode. */
  progress(): ProgressPrinter {
    const mode: ProgressMode = this.json ? 'json' : this.io.stderr.isTTY ? 'tty' : 'plain';
    const out = this.json ? this.io.stdout : this.io.stderr;
    return new ProgressPrinter(this.quiet && !this.json ? devNull : out, mode);
  }

  /** Prints a result line (JSON object with --json). */
  result(text: string, data: Record<string, unknown>): void {
    // On a terminal the progress bar (stderr) has no newline yet; the result must not land on its line.
    this.activePrinter?.finish();
    this.io.stdout.write(this.json ? JSON.stringify({ event: 'result', ...data }) + '\n' : text + '\n');
  }

  /** Prints the one-line error for a failure; `name` is the file or disk it was about (as in the progress events). */
  reportError(err: unknown, name?: string): void {
    const e = asDiskFerryError(err);
    if (this.logToFile) this.log.error('command failed', { code: e.code, error: e.message });
    if (this.json) this.io.stdout.write(JSON.stringify({ event: 'error', ...(name !== undefined ? { name } : {}), code: e.code, message: e.message, retryable: e.retryable }) + '\n');
    this.io.stderr.write(`diskferry: ${e.message}\n`);
  }

  /**
   * Runs one transfer per item, one after the other, each with its own control and progress line: a
   * failure is reported and the next item goes on; an interrupt stops them all. Returns the exit code.
   */
  async eachTransfer(
    items: readonly string[],
    run: (item: string, control: TransferControl, onProgress: (p: TransferProgress) => void) => Promise<void>,
  ): Promise<number> {
    let failures = 0;
    for (const item of items) {
      this.signal.throwIfAborted();
      const control = new TransferControl(this.signal);
      const printer = this.progress();
      this.activePrinter = printer;
      try {
        await run(item, control, (p) => printer.update(item, p));
        printer.finish();
      } catch (err) {
        printer.finish();
        if (this.signal.aborted) throw err;
        failures++;
        this.reportError(err, item);
      } finally {
        this.activePrinter = null;
      }
    }
    return failures > 0 ? EXIT_FAILED : EXIT_OK;
  }

  /** TLS trust from --ca-file / --system-trust / --insecure, or from the profile. */
  async trustFrom(values: GlobalValues, profile: EngineProfile | null): Promise<TrustSettings> {
    if (values.insecure) {
      this.io.stderr.write('diskferry: WARNING: --insecure: TLS certificates are NOT verified. Anyone on the network path can read your password and disks.\n');
      return { caPem: [], insecure: true };
    }
    if (values['ca-file']) {
      const pem = await readCaFile(values['ca-file']);
      return { caPem: [pem], systemTrust: values['system-trust'] ?? false };
    }
    if (profile?.caPem) {
      return {
        caPem: [profile.caPem],
        systemTrust: values['system-trust'] ?? profile.systemTrust,
        ...(profile.caFingerprint ? { pinnedFingerprints: [profile.caFingerprint] } : {}),
      };
    }
    return { caPem: [], systemTrust: true };
  }

  /** Logs in to the engine given by the options or the saved profile. */
  async connect(values: GlobalValues): Promise<TransferDeps> {
    const profile = values.engine ? null : await this.profiles.get(values.profile);
    if (!values.engine && !profile)
      throw new UsageError(
        values.profile ? `No engine profile named '${values.profile}'. Run diskferry login first.` : 'No engine yet: run diskferry login --engine URL --username USER@PROFILE first.',
      );
    const engineUrl = values.engine ?? profile!.engineUrl;
    const username = values.username ?? profile?.username;
    if (!username) throw new UsageError('--username USER@PROFILE is required with --engine.');
    const trust = await this.trustFrom(values, profile);
    const password = await readPassword({ passwordFile: values['password-file'], prompt: `Password for ${username}: ` });
    this.secrets.push(password);
    const client = new OvirtClient({ engineUrl, username, password: () => password, trust, log: this.log });
    await client.login();
    this.client = client;
    return {
      client,
      trust,
      log: this.log,
      timers: realTimers,
      now: Date.now,
      hashThread: hashThreadWanted(process.env),
      uploadJournals: uploadJournalDir(),
      ...(this.ports.files ? { files: this.ports.files } : {}),
    };
  }

  /** Logs out of the engine (on exit). */
  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await client.logout().catch(() => {});
  }
}

const devNull = { write: () => true } as unknown as NodeJS.WriteStream;

/** The PEM text of --ca-file F; a file that cannot be read or holds no certificate is a usage error. */
export async function readCaFile(file: string): Promise<string> {
  const pem = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new UsageError(`Cannot read the CA file ${file}: ${(err as Error).message}`);
  });
  if (splitPemBundle(pem).length === 0) throw new UsageError(`${file} holds no PEM certificate.`);
  return pem;
}
