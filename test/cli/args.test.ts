/**
 * The command line's argument parsers: what each accepts, and the usage error (exit code 2) that
 * names the option for what it does not.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  outputDir,
  parseCommand,
  parseCount,
  parseDownloadChoices,
  parseInactivityTimeout,
  parseInteger,
  parseRate,
  parseSeconds,
  parseVerify,
  parseWorkers,
  required,
} from '../../main/cli/args.js';
import { UsageError } from '../../main/cli/errors.js';

const usage = (message: RegExp) => expect.objectContaining({ name: 'UsageError', message: expect.stringMatching(message) });

describe('argument parsers', () => {
  it('reads whole numbers, with a floor where one is given', () => {
    expect(parseInteger(undefined, '--priority')).toBeUndefined();
    expect(parseInteger('-3', '--priority')).toBe(-3);
    expect(parseInteger('2', '--concurrency', 1)).toBe(2);
    expect(() => parseInteger('0', '--concurrency', 1)).toThrow(usage(/^--concurrency must be a whole number of at least 1, not '0'\.$/));
    expect(() => parseInteger('1.5', '--priority')).toThrow(usage(/^--priority must be a whole number, not '1\.5'\.$/));
    expect(parseCount('max', '10')).toBe(10);
    expect(() => parseCount('max', '1e3')).toThrow(usage(/^--max must be a whole number of at least 1/));
    expect(parseWorkers('8')).toBe(8);
    expect(() => parseWorkers('9')).toThrow(usage(/^--workers must be a whole number from 1 to 8, not '9'\.$/));
  });

  it('reads durations: whole seconds or 0 for --inactivity-timeout, more than 0 for --retry-delay', () => {
    expect(parseInactivityTimeout(undefined)).toBeUndefined();
    expect(parseInactivityTimeout('0')).toBe(0);
    expect(parseInactivityTimeout('120')).toBe(120);
    for (const bad of ['-1', '1.5', 'soon']) expect(() => parseInactivityTimeout(bad)).toThrow(usage(/^--inactivity-timeout takes whole seconds \(0 disables it\)\.$/));
    expect(parseSeconds('--retry-delay', '0.5')).toBe(0.5);
    expect(parseSeconds('--retry-delay', undefined)).toBeUndefined();
    for (const bad of ['0', '-2', 'x']) expect(() => parseSeconds('--retry-delay', bad)).toThrow(usage(new RegExp(`^--retry-delay takes seconds, more than 0, not '${bad}'\\.$`)));
  });

  it('reads rates in bytes per second, with or without /s', () => {
    expect(parseRate(undefined, '--limit')).toBeNull();
    expect(parseRate('200MiB/s', '--limit')).toBe(200 * 1024 * 1024);
    expect(parseRate('50M', '--limit')).toBe(parseRate('50M/s', '--limit'));
    expect(() => parseRate('fast', '--window-limit')).toThrow(usage(/^--window-limit takes a rate such as 200 \(MiB\/s\), 40 MiB\/s, 40 MB\/s, 500 Mbit\/s, 1 Gbit\/s, not 'fast'\.$/));
    expect(parseRate('200', '--limit')).toBe(200 * 1024 * 1024);
    expect(parseRate('1Gbit/s', '--limit')).toBe(125_000_000);
    expect(parseRate('40MB/s', '--limit')).toBe(40_000_000);
    expect(() => parseRate('0', '--limit')).toThrow(usage(/not '0'\. Leave --limit out for no limit\.$/));
    expect(() => parseRate('10k', '--limit')).toThrow(usage(/^--limit '10k' is below the smallest limit, 64 KiB\/s\.$/));
  });

  it('verifies unless --no-verify; both at once is a usage error', () => {
    expect(parseVerify({})).toBe(true);
    expect(parseVerify({ 'no-verify': true })).toBe(false);
    expect(() => parseVerify({ verify: true, 'no-verify': true })).toThrow(UsageError);
    expect(parseDownloadChoices({})).toEqual({ format: 'raw', verify: true });
    expect(parseDownloadChoices({ format: 'qcow2', 'no-verify': true })).toEqual({ format: 'qcow2', verify: false });
    expect(() => parseDownloadChoices({ format: 'vmdk' })).toThrow(usage(/^--format must be one of raw, qcow2, not 'vmdk'\.$/));
  });

  it('takes an existing folder for --output, as an absolute path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'diskferry-args-'));
    try {
      await writeFile(join(dir, 'file'), '');
      expect(await outputDir(relative(process.cwd(), dir))).toBe(dir);
      await expect(outputDir(join(dir, 'file'))).rejects.toThrow(usage(/^--output .*file is a file, not a folder: downloads go into a folder\. Choose the folder it is in, or another\.$/));
      await expect(outputDir(join(dir, 'missing'))).rejects.toThrow(usage(/^--output .*missing is not an existing folder\. Create it, or choose another\.$/));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names a missing option and a mistyped one', () => {
    expect(required('x', '--output')).toBe('x');
    expect(() => required('', '--output DIR')).toThrow(usage(/^--output DIR is required\.$/));
    expect(() => parseCommand(['--ouput', 'x'], { output: { type: 'string' } })).toThrow(usage(/^Unknown option '--ouput'\. Run diskferry COMMAND --help/));
    // A value that starts with a dash: said in one line, with how to write it.
    expect(() => parseCommand(['--retries', '-1'], { retries: { type: 'string' } })).toThrow(usage(/^--retries needs a value; one that starts with a dash is written --retries=-VALUE\.$/));
    expect(parseCommand(['a', '--json', '-q'], {}).values).toMatchObject({ json: true, quiet: true });
  });
});
