import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './password.js';
import { nameSearch } from '../engine/ovirt/urls.js';

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

/** Parses a command's arguments with the global options; unknown options are usage errors. */
export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    // Node's text goes on about positionals after '--', which is not what a mistyped option needs.
    const unknown = /^Unknown option '([^']+)'/.exec((err as Error).message);
    throw new UsageError(unknown ? `Unknown option '${unknown[1]}'. Run diskferry COMMAND --help for the command's options.` : (err as Error).message);
  }
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

/**
 * The engine search for `--search QUERY`: `field=value …` passes through as the engine's search
 * language; anything else is a disk name (`*` is a wildcard), quoted when it holds white space or a
 * quote (a bare word stays bare, the form the engine's documentation uses for wildcards).
 */
export function diskSearch(query: string): string {
  if (query.includes('=')) return query;
  return /[\s"']/.test(query) ? nameSearch(query) : `name=${query}`;
}
