/**
 * The command line's arguments: the options every command takes, and one parser per kind of value
 * (whole numbers, choices, durations, rates, the verify switch, the --output folder, a disk search).
 * Each parser takes the option's text (undefined when it was not given) and throws a UsageError that
 * names the option.
 */
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseRateLimit, rateLimitProblemText } from '../../shared/rate-limit.js';
import { errorMessage } from '../engine/errors.js';
import { nameSearch } from '../engine/ovirt/urls.js';
import { checkOutputFolder, DEFAULT_OUTPUT_FORMAT } from '../engine/plan/download-rules.js';
import type { ExistingFilePolicy } from '../../shared/schemas/common.js';
import type { BackupMode } from '../engine/backup/backup-run.js';
import { UsageError } from './errors.js';

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  profile: { type: 'string' },
  engine: { type: 'string' },
  username: { type: 'string' },
  'password-file': { type: 'string' },
  'ca-file': { type: 'string' },
  'system-trust': { type: 'boolean' },
  insecure: { type: 'boolean' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  'log-file': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** The values of the global options, as parseCommand returns them. */
export type GlobalValues = { [K in keyof typeof GLOBAL_OPTIONS]?: (typeof GLOBAL_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** Parses a command's arguments with the global options; unknown options are usage errors. */
export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    // Node's text goes on about positionals after '--', which is not what a mistyped option needs.
    const message = errorMessage(err);
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    if (unknown) throw new UsageError(`Unknown option '${unknown[1]}'. Run diskferry COMMAND --help for the command's options.`);
    // `--retries -1`: Node calls the value ambiguous and goes on for three lines.
    const dashed = /^Option '([^']+)' argument is ambiguous/.exec(message);
    if (dashed) throw new UsageError(`${dashed[1]} needs a value; one that starts with a dash is written ${dashed[1]}=-VALUE.`);
    throw new UsageError(message);
  }
}

/** Throws a usage error naming a missing option. */
export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === '') throw new UsageError(`${name} is required.`);
  return value;
}

/** The absolute path of `--output DIR`, which must be an existing folder. */
export async function outputDir(dir: string): Promise<string> {
  await checkOutputFolder(dir, `--output ${dir}`).catch((err: unknown) => {
    throw new UsageError(errorMessage(err));
  });
  return resolve(dir);
}

/**
 * DISKFERRY_UPLOAD_FLUSH_EVERY: bytes an upload writes between flushes (TransferTuning.flushEvery),
 * which bounds what an interrupted upload sends again; unset: the engine's default (128 MiB).
 */
export function uploadFlushEvery(env: NodeJS.ProcessEnv = process.env): { flushEvery?: number } {
  const raw = env['DISKFERRY_UPLOAD_FLUSH_EVERY'];
  if (raw === undefined || raw === '') return {};
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`DISKFERRY_UPLOAD_FLUSH_EVERY must be a whole number of bytes, not '${raw}'.`);
  return { flushEvery: n };
}

/** Parses --workers. */
export function parseWorkers(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new UsageError(`--workers must be a whole number from 1 to 8, not '${value}'.`);
  return n;
}

/** Parses a choice option. */
export function parseChoice<T extends string>(name: string, value: string | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, not '${value}'.`);
  return value as T;
}

/** Parses a whole-number option of at least 1 (e.g. --max). */
export function parseCount(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number of at least 1, not '${value}'.`);
  return n;
}

/** Parses an optional whole number option. */
export function parseInteger(value: string | undefined, name: string, min = -1_000_000): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be a whole number${min > -1_000_000 ? ` of at least ${min}` : ''}, not '${value}'.`);
  return n;
}

/** Parses --inactivity-timeout: whole seconds, 0 turns the engine's inactivity timeout off. */
export function parseInactivityTimeout(value: string | undefined): number | undefined {
  const seconds = value === undefined ? undefined : Number(value);
  if (seconds !== undefined && (!Number.isInteger(seconds) || seconds < 0)) throw new UsageError('--inactivity-timeout takes whole seconds (0 disables it).');
  return seconds;
}

/** Parses a duration in seconds, more than 0 (e.g. --retry-delay). */
export function parseSeconds(name: string, value: string | undefined): number | undefined {
  const seconds = value === undefined ? undefined : Number(value);
  if (seconds !== undefined && !(seconds > 0)) throw new UsageError(`${name} takes seconds, more than 0, not '${value}'.`);
  return seconds;
}

/** Parses a duration: `90s`, `30m`, `2h`, `1d` (a bare number is seconds); milliseconds, more than 0. */
export function parseDuration(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|min|h|d)?$/i.exec(value.trim());
  const unit = { s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }[(m?.[2] ?? 's').toLowerCase() as 's'];
  const ms = m ? Number(m[1]) * unit : NaN;
  if (!(ms > 0)) throw new UsageError(`${name} takes a duration such as 90s, 30m, 2h or 1d, not '${value}'.`);
  return ms;
}

/** Parses a rate limit with the window's parser (shared/rate-limit.ts: `200`, `40MiB/s`, `40MB/s`, `1Gbit/s`); null: no limit. */
export function parseRate(value: string | undefined, name: string): number | null {
  if (value === undefined) return null;
  const parsed = parseRateLimit(value);
  if (!parsed.ok) throw new UsageError(rateLimitProblemText(name, value, parsed.problem));
  // The window's empty field or 0 is "no limit"; on the command line that is leaving the option out.
  if (parsed.value === null) throw new UsageError(`${rateLimitProblemText(name, value, 'not-a-rate')} Leave ${name} out for no limit.`);
  return parsed.value;
}

/** `--limit RATE` of plain uploads and downloads, read by parseRate as the queue run's --limit. */
export const LIMIT_OPTION = {
  limit: { type: 'string' },
} as const;

/** The options every transfer command adds for verification. */
export const VERIFY_OPTIONS = {
  verify: { type: 'boolean' },
  'no-verify': { type: 'boolean' },
} as const;

/** `--verify` / `--no-verify`: checksum comparison is on unless turned off; both at once is a usage error. */
export function parseVerify(values: { verify?: boolean; 'no-verify'?: boolean }): boolean {
  if (values.verify && values['no-verify']) throw new UsageError('Give --verify or --no-verify, not both.');
  return !(values['no-verify'] ?? false);
}

/** How a download writes its file: `--format raw|qcow2` and `--verify` / `--no-verify`. */
export interface DownloadChoices {
  readonly format: 'raw' | 'qcow2';
  readonly verify: boolean;
}

/** Reads `--format` and `--verify` / `--no-verify` (the defaults: raw, verified). */
export function parseDownloadChoices(values: { format?: string | undefined; verify?: boolean | undefined; 'no-verify'?: boolean | undefined }): DownloadChoices {
  const format = parseChoice('format', values.format, ['raw', 'qcow2'] as const) ?? DEFAULT_OUTPUT_FORMAT;
  return { format, verify: parseVerify(values) };
}

/** `--if-exists` of downloads, and `--overwrite`, its older spelling of `overwrite`. */
export const IF_EXISTS_OPTIONS = {
  'if-exists': { type: 'string' },
  overwrite: { type: 'boolean' },
} as const;

/** What a download does when its file exists: the window's policies, or `fail` (the default: refuse, say how to go on). */
export type IfExists = ExistingFilePolicy | 'fail';

/** Reads `--if-exists fail|overwrite|rename|skip` (`--overwrite` is `--if-exists overwrite`). */
export function parseIfExists(values: { 'if-exists'?: string | undefined; overwrite?: boolean | undefined }): IfExists {
  const policy = parseChoice('if-exists', values['if-exists'], ['fail', 'overwrite', 'rename', 'skip'] as const);
  if (values.overwrite && policy !== undefined && policy !== 'overwrite') throw new UsageError(`--overwrite is --if-exists overwrite; give one of them, not --if-exists ${policy} too.`);
  return policy ?? (values.overwrite ? 'overwrite' : 'fail');
}

/**
 * The engine search for `--search QUERY`: `field=value …` passes through as the engine's search
 * language; anything else is a disk name (`*` is a wildcard), quoted when it holds white space or a
 * quote (a bare word stays bare, the form the engine's documentation uses for wildcards).
 */
export function diskSearch(query: string): string {
  if (query.includes('=')) return query;
  return /[\s"']/.test(query) ? nameSearch(query) : `name=${query}`;
}

/** The mode options of `backup` and `queue add backup`. */
export const BACKUP_MODE_OPTIONS = {
  full: { type: 'boolean' },
  incremental: { type: 'boolean' },
  auto: { type: 'boolean' },
} as const;

/** --full, --incremental or --auto (the default): one of them. */
export function parseBackupMode(values: { full?: boolean | undefined; incremental?: boolean | undefined; auto?: boolean | undefined }): BackupMode {
  const chosen = (['full', 'incremental', 'auto'] as const).filter((m) => values[m]);
  if (chosen.length > 1) throw new UsageError(`Choose one of --full, --incremental and --auto, not ${chosen.map((m) => `--${m}`).join(' and ')}.`);
  return chosen[0] ?? 'auto';
}
