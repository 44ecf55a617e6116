import { readFile, appendFile } from 'node:fs/promises';
import { asDiskFerryError, errorMessage } from '../engine/errors.js';
import { createLog, silentLog, type Log, type LogLevel } from '../engine/log.js';
import { realTimers } from '../engine/timers.js';
import type { OvirtClient } from '../engine/ovirt/client.js';
import { splitPemBundle, type TrustSettings } from '../engine/trust/tls.js';
import type { TransferDeps, TransferOptions } from '../engine/transfer/deps.js';
import { TransferLedger } from '../engine/janitor/ledger.js';
import { TokenBucket } from '../engine/queue/token-bucket.js';
import { envProxyResolver, type ProxyResolver } from '../engine/net/proxy.js';
import type { FilePort } from '../engine/fs/file-port.js';
import { TransferControl } from '../engine/transfer/control.js';
import { hashThreadWanted } from '../engine/image/verify.js';
import { rangedGetDispatcherFrom } from '../engine/imageio/connection.js';
import type { TransferProgress } from '../../shared/model.js';
import { ledgerDir, pendingSnapshotsDir, ProfileStore, uploadJournalDir, type EngineProfile } from './config.js';
import { readPassword } from './password.js';
import { systemKeychain } from './keychain.js';
import { SessionStore, type KeptSession } from './sessions.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './errors.js';
import { ProgressPrinter, type ProgressMode } from './progress.js';
import type { SparseFiles } from '../engine/os/sparse-files.js';
import type { GlobalValues } from './args.js';

/** Ports the command line can be given instead of the real ones. */
export interface CliPorts {
  /** The file system downloads write to. */
  readonly files?: FilePort;
  /** The OS's sparse files (what a folder can hold, holes); this OS's when absent. */
  readonly sparse?: SparseFiles;
  /**
   * The time between two reads of a transfer or disk the engine is changing; 1 s (as the reference
   * clients) when absent. Tests give a shorter one, as the simulator changes phases every 25 ms
   * (like AppCoreOptions.pollIntervalMs for the app core).
   */
  readonly pollIntervalMs?: number;
}

/** Per-run state of the CLI: output streams, interrupt signal, log, and the engine connection. */
export class CliContext {
  readonly profiles = new ProfileStore();
  readonly sessions = new SessionStore(systemKeychain());
  /** HTTPS_PROXY / NO_PROXY, for the engine and the data plane alike. */
  readonly proxy: ProxyResolver = envProxyResolver(process.env);
  private readonly connections: Connection[] = [];
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
    // A log file that cannot be written is said once on stderr (a cron job's mail), not ignored.
    let unwritable = false;
    const toFile = (path: string, line: string) =>
      void appendFile(path, line + '\n').catch((err: unknown) => {
        if (unwritable) return;
        unwritable = true;
        this.io.stderr.write(`diskferry: cannot write the log file ${path} (${errorMessage(err)}): this run is not logged there. Check the path and its folder.\n`);
      });
    this.logInstance = createLog({
      level,
      json: Boolean(file),
      secrets: () => [...this.secrets, ...this.connections.flatMap((c) => c.client.secrets())],
      write: file ? (line) => toFile(file, line) : (line) => this.io.stderr.write(line + '\n'),
    });
    // Every run leaves its mark in its log file (and finds out at once that it cannot).
    if (file) this.logInstance.info('diskferry started', { pid: process.pid });
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
    // A refusal in words (a job that cannot be cancelled now, a transfer id the engine does not
    // have) is said as it is, with the code the command line gives usage errors; it read as an
    // "Unexpected error" with code internal.
    const e = err instanceof UsageError ? { code: 'usage', message: err.message, retryable: false } : asDiskFerryError(err);
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

  /**
   * The bandwidth limit of a plain upload or download (`--limit RATE`, bytes per second; null: none):
   * one token bucket for all the command's transfers, the one a queue run shares among its jobs.
   */
  throttle(rate: number | null): TransferOptions['throttle'] {
    if (rate === null) return undefined;
    const bucket = new TokenBucket({ now: Date.now, timers: realTimers }, rate);
    return (bytes, signal) => bucket.take(bytes, signal);
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

  /**
   * Logs in to the engine given by the options or the saved profile. With a profile and no password
   * given (--password-file, DISKFERRY_PASSWORD), the session `login` kept is used; when it has ended,
   * the password is asked for and the new session kept in its place.
   */
  async connect(values: GlobalValues): Promise<TransferDeps> {
    const profile = values.engine ? null : await this.profiles.get(values.profile);
    if (!values.engine && !profile) throw new UsageError(await this.noProfileMessage(values.profile));
    const engineUrl = values.engine ?? profile!.engineUrl;
    const username = values.username ?? profile?.username;
    if (!username) throw new UsageError('--username USER@PROFILE is required with --engine.');
    const trust = await this.trustFrom(values, profile);
    const passwordGiven = values['password-file'] !== undefined || Boolean(process.env['DISKFERRY_PASSWORD']);
    const kept = profile && !passwordGiven && username === profile.username ? await this.sessions.get(profile.name, engineUrl, username) : undefined;
    const entry: Connection = { client: null!, kept: kept ?? null, ended: false };
    const ask = async (again: boolean): Promise<string> => {
      const password = await readPassword({
        passwordFile: values['password-file'],
        prompt: again ? `The engine session kept since login has ended. Password for ${username}: ` : `Password for ${username}: `,
      }).catch((err: unknown) => {
        if (!again || !(err instanceof UsageError)) throw err;
        entry.ended = true;
        throw new UsageError(
          `The engine session kept by diskferry login has ended (the engine ends sessions idle for 30 minutes, by default). Log in again (diskferry login --profile ${profile!.name}), or give --password-file F.`,
        );
      });
      this.secrets.push(password);
      return password;
    };
    let password: string | null = null;
    if (!kept?.token) password = await ask(false);
    // The engine's client (undici, its schemas) is loaded by the commands that talk to an engine only:
    // a data-plane-only transfer (--transfer-url) starts without it (docs/benchmarks.md).
    const { OvirtClient } = await import('../engine/ovirt/client.js');
    const client = new OvirtClient({
      engineUrl,
      username,
      password: async () => (password ??= await ask(true)),
      trust,
      log: this.log,
      proxy: this.proxy,
      ...(this.ports.pollIntervalMs !== undefined ? { pollIntervalMs: this.ports.pollIntervalMs } : {}),
    });
    entry.client = client;
    this.connections.push(entry);
    if (kept?.token) {
      this.secrets.push(kept.token.value);
      client.adoptSession(kept.token);
    } else {
      await client.login();
    }
    const deps: TransferDeps = {
      client,
      trust,
      log: this.log,
      timers: realTimers,
      now: Date.now,
      hashThread: hashThreadWanted(process.env),
      rangedGets: rangedGetDispatcherFrom(process.env),
      uploadJournals: uploadJournalDir(),
      pendingSnapshots: pendingSnapshotsDir(),
      ...(this.ports.files ? { files: this.ports.files } : {}),
      ...(this.ports.sparse ? { sparse: this.ports.sparse } : {}),
    };
    await this.endLeftDownloads(deps);
    return deps;
  }

  /** The local record of the transfers plain commands have open. */
  get ledger(): TransferLedger {
    return new TransferLedger(ledgerDir());
  }

  /**
   * Runs one plain transfer with its entry in the local record (`hooks` go into the transfer's
   * options): a kill leaves the entry behind, so the next command can end what the run left open.
   */
  async recorded<T>(deps: TransferDeps, direction: 'upload' | 'download', run: (hooks: Pick<TransferOptions, 'beforeTransfer' | 'onCreated'>) => Promise<T>): Promise<T> {
    const rec = this.ledger.record(deps.client.engineHost, direction, direction);
    try {
      return await run({ beforeTransfer: rec.beforeTransfer, onCreated: rec.onCreated });
    } finally {
      await rec.finish(deps.client).catch((err: unknown) => this.log.warn('could not update the local transfer record', { error: errorMessage(err) }));
    }
  }

  /**
   * Finalizes the downloads that earlier commands on this machine left open when their process died,
   * then removes the VM snapshots their snapshot backups left (the transfers on them end first).
   */
  private async endLeftDownloads(deps: TransferDeps): Promise<void> {
    const [{ sweepDownloads }, { PendingSnapshots, sweepPendingSnapshots }] = await Promise.all([import('../engine/janitor/janitor.js'), import('../engine/backup/snapshot-pending.js')]);
    const notes = await sweepDownloads(deps, this.ledger, { timeoutMs: 120_000, signal: AbortSignal.any([this.signal, AbortSignal.timeout(180_000)]) });
    const snapshots = await sweepPendingSnapshots(deps.client, new PendingSnapshots(pendingSnapshotsDir()), { timeoutMs: 120_000, signal: AbortSignal.any([this.signal, AbortSignal.timeout(180_000)]) });
    for (const n of [...notes, ...snapshots.map((message) => ({ transferId: null, message }))]) {
      if (this.json) this.io.stdout.write(JSON.stringify({ event: 'cleanup', transfer_id: n.transferId, message: n.message }) + '\n');
      if (!this.quiet) this.io.stderr.write(`diskferry: ${n.message}\n`);
    }
  }

  /** Why no engine can be used: no profile of that name, no default one, or none at all. */
  private async noProfileMessage(name: string | undefined): Promise<string> {
    if (name) return `No engine profile named '${name}'. See them with diskferry profiles, or run diskferry login first.`;
    const { profiles } = await this.profiles.list();
    if (profiles.length > 0) return `No default engine profile: give --profile NAME (one of ${profiles.map((p) => p.name).join(', ')}), or log in again.`;
    return 'No engine yet: run diskferry login --engine URL --username USER@PROFILE first.';
  }

  /**
   * Ends one connection: a kept session stays open on the engine (a new one that replaced it is kept
   * instead, one that ended is forgotten); any other is logged out.
   */
  async release(client: OvirtClient): Promise<void> {
    const i = this.connections.findIndex((c) => c.client === client);
    if (i < 0) return;
    const [c] = this.connections.splice(i, 1);
    const kept = c!.kept;
    if (!kept) return client.logout().catch(() => {});
    const now = client.session();
    await client.close().catch(() => {});
    if (now && now.value !== kept.token?.value) await this.sessions.save({ ...kept, token: now }).catch((err: unknown) => this.log.warn('could not keep the engine session', { error: errorMessage(err) }));
    else if (c!.ended) await this.sessions.forget(kept.profile).catch(() => {});
  }

  /**
   * Ends the session kept for a profile: SSO logout on the engine, then its token is deleted here
   * (also when the engine cannot be reached: the copy on this machine is what could be stolen).
   * `kept` says whether there was one; `error` what the engine answered when it did not end it.
   */
  async endKeptSession(values: GlobalValues, profile: EngineProfile): Promise<{ kept: boolean; error: string | null }> {
    const kept = await this.sessions.get(profile.name, profile.engineUrl, profile.username);
    if (!kept) return { kept: false, error: null };
    let error: string | null = null;
    if (kept.token) {
      this.secrets.push(kept.token.value);
      const { OvirtClient } = await import('../engine/ovirt/client.js');
      const client = new OvirtClient({
        engineUrl: profile.engineUrl,
        username: profile.username,
        password: () => Promise.reject(new UsageError('Logging out needs no password.')),
        trust: await this.trustFrom(values, profile),
        log: this.log,
        proxy: this.proxy,
      });
      client.adoptSession(kept.token);
      await client.revokeSession(this.signal).catch((err: unknown) => (error = errorMessage(err)));
    }
    await this.sessions.forget(profile.name);
    return { kept: true, error };
  }

  /** Ends every connection (on exit). */
  async close(): Promise<void> {
    for (const c of [...this.connections]) await this.release(c.client);
  }
}

/** One engine connection of this run and the kept session it started from (null: none kept). */
interface Connection {
  client: OvirtClient;
  readonly kept: KeptSession | null;
  /** The kept session ended and no password could be had: it is forgotten. */
  ended: boolean;
}

const devNull = { write: () => true } as unknown as NodeJS.WriteStream;

/** The PEM text of --ca-file F; a file that cannot be read or holds no certificate is a usage error. */
export async function readCaFile(file: string): Promise<string> {
  const pem = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new UsageError(`Cannot read the CA file ${file}: ${errorMessage(err)}`);
  });
  if (splitPemBundle(pem).length === 0) throw new UsageError(`${file} holds no PEM certificate.`);
  return pem;
}
