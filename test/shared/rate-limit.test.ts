import { describe, expect, it } from 'vitest';
import { MIN_RATE_LIMIT, parseRateLimit, rateLimitProblemText, RATE_LIMIT_EXAMPLES } from '../../shared/rate-limit.js';

const MiB = 1024 ** 2;

describe('parseRateLimit', () => {
  it('takes a number alone as MiB/s', () => {
    expect(parseRateLimit('200')).toEqual({ ok: true, value: 200 * MiB });
    expect(parseRateLimit(' 12.5 ')).toEqual({ ok: true, value: 12.5 * MiB });
  });

  it('reads binary units with or without /s, in any case', () => {
    expect(parseRateLimit('40MiB/s')).toEqual({ ok: true, value: 40 * MiB });
    expect(parseRateLimit('40 mib')).toEqual({ ok: true, value: 40 * MiB });
    expect(parseRateLimit('50M')).toEqual({ ok: true, value: 50 * MiB });
    expect(parseRateLimit('1.5G')).toEqual({ ok: true, value: 1.5 * 1024 ** 3 });
    expect(parseRateLimit('512 KiB/sec')).toEqual({ ok: true, value: 512 * 1024 });
    expect(parseRateLimit('1048576 B/s')).toEqual({ ok: true, value: 1048576 });
  });

  it('reads decimal bytes and bits per second as the SI units they are', () => {
    expect(parseRateLimit('40 MB/s')).toEqual({ ok: true, value: 40_000_000 });
    expect(parseRateLimit('2 GB/s')).toEqual({ ok: true, value: 2_000_000_000 });
    expect(parseRateLimit('1 Gbit/s')).toEqual({ ok: true, value: 125_000_000 });
    expect(parseRateLimit('500 Mbit/s')).toEqual({ ok: true, value: 62_500_000 });
    expect(parseRateLimit('100Mbps')).toEqual({ ok: true, value: 12_500_000 });
    expect(parseRateLimit('800 kbit/s')).toEqual({ ok: true, value: 100_000 });
  });

  it('reads an empty field, 0, none and off as no limit', () => {
    for (const text of ['', '  0 ', 'none', 'OFF', '0 MiB/s']) expect(parseRateLimit(text)).toEqual({ ok: true, value: null });
  });

  it('says why a limit is refused', () => {
    expect(parseRateLimit('abc')).toEqual({ ok: false, problem: 'not-a-rate' });
    expect(parseRateLimit('fast')).toEqual({ ok: false, problem: 'not-a-rate' });
    expect(parseRateLimit('-5')).toEqual({ ok: false, problem: 'not-a-rate' });
    expect(parseRateLimit('10 furlongs/s')).toEqual({ ok: false, problem: 'not-a-rate' });
    expect(parseRateLimit('200 MiB/h')).toEqual({ ok: false, problem: 'not-a-rate' });
    expect(parseRateLimit('10K')).toEqual({ ok: false, problem: 'too-small' });
    expect(parseRateLimit('500 kbit/s')).toEqual({ ok: false, problem: 'too-small' });
    expect(parseRateLimit(`${MIN_RATE_LIMIT} B/s`)).toEqual({ ok: true, value: MIN_RATE_LIMIT });
    // A large number alone is most likely bytes, not 1 TiB/s: the unit must be written.
    expect(parseRateLimit('1048576')).toEqual({ ok: false, problem: 'needs-unit' });
  });

  it('names what is accepted in the English message', () => {
    expect(rateLimitProblemText('--limit', 'abc', 'not-a-rate')).toBe(`--limit takes a rate such as ${RATE_LIMIT_EXAMPLES}, not 'abc'.`);
    expect(RATE_LIMIT_EXAMPLES).toContain('1 Gbit/s');
    expect(rateLimitProblemText('--limit', '10K', 'too-small')).toMatch(/64 KiB\/s/);
  });
});
