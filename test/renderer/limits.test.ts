import { describe, expect, it } from 'vitest';
import { bandwidthLimitText, isInsideWindow, isTimeOfDay, limitProblemKey, parseBandwidthLimit, scheduleWindowOf } from '../../renderer/lib/limits.js';
import { en } from '../../renderer/i18n/en.js';
import { ja } from '../../renderer/i18n/ja.js';

/** The string at a dotted key of a translation table, or undefined. */
function lookup(table: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), table);
}

describe('queue limits', () => {
  it('parses bandwidth limits as typed', () => {
    expect(parseBandwidthLimit('200 MiB/s')).toEqual({ ok: true, value: 200 * 1024 * 1024 });
    expect(parseBandwidthLimit('1.5G')).toEqual({ ok: true, value: 1.5 * 1024 ** 3 });
    expect(parseBandwidthLimit('512 KiB/sec')).toEqual({ ok: true, value: 512 * 1024 });
  });

  it('treats an empty field or 0 as no limit', () => {
    expect(parseBandwidthLimit('')).toEqual({ ok: true, value: null });
    expect(parseBandwidthLimit('  0 ')).toEqual({ ok: true, value: null });
  });

  it('refuses words and limits below 64 KiB/s, saying which', () => {
    expect(parseBandwidthLimit('fast')).toEqual({ ok: false, problem: 'not-a-rate' });
    expect(parseBandwidthLimit('10K')).toEqual({ ok: false, problem: 'too-small' });
  });

  it('takes the forms of the command line: 200 as MiB/s, bits and SI bytes', () => {
    expect(parseBandwidthLimit('200')).toEqual({ ok: true, value: 200 * 1024 * 1024 });
    expect(parseBandwidthLimit('1 Gbit/s')).toEqual({ ok: true, value: 125_000_000 });
    expect(parseBandwidthLimit('40 MB/s')).toEqual({ ok: true, value: 40_000_000 });
  });

  it('has a message in both languages for every refusal, saying what is accepted', () => {
    for (const problem of ['not-a-rate', 'too-small', 'needs-unit'] as const) {
      const key = limitProblemKey(problem);
      for (const lang of [en, ja]) expect(lookup(lang, key), `${key}`).toMatch(/MiB\/s/);
    }
  });

  it('shows a limit back in the unit it was typed in', () => {
    expect(bandwidthLimitText(200 * 1024 * 1024)).toBe('200 MiB/s');
    expect(bandwidthLimitText(512 * 1024)).toBe('512 KiB/s');
    expect(bandwidthLimitText(null)).toBe('');
    // What was typed in decimal or bit units reads back in them, not as a long figure in KiB/s.
    for (const typed of ['1 Gbit/s', '40 MB/s', '500 Mbit/s', '100 Mbit/s', '2 GiB/s', '800 kB/s']) {
      const parsed = parseBandwidthLimit(typed);
      expect(parsed.ok).toBe(true);
      if (parsed.ok && parsed.value !== null) {
        expect(bandwidthLimitText(parsed.value)).toBe(typed);
        expect(parseBandwidthLimit(bandwidthLimitText(parsed.value))).toEqual(parsed);
      }
    }
    expect(parseBandwidthLimit(bandwidthLimitText(300 * 1024))).toEqual({ ok: true, value: 300 * 1024 });
  });

  it('accepts only HH:MM windows with distinct ends', () => {
    expect(isTimeOfDay('22:00')).toBe(true);
    expect(isTimeOfDay('24:00')).toBe(false);
    expect(isTimeOfDay('7:00')).toBe(false);
    expect(scheduleWindowOf('22:00', '06:00')).toEqual({ start: '22:00', end: '06:00' });
    expect(scheduleWindowOf('22:00', '22:00')).toBeNull();
  });

  it('knows when a window spanning midnight is open', () => {
    const overnight = { start: '22:00', end: '06:00' };
    expect(isInsideWindow(overnight, 23 * 60)).toBe(true);
    expect(isInsideWindow(overnight, 5 * 60 + 59)).toBe(true);
    expect(isInsideWindow(overnight, 6 * 60)).toBe(false);
    expect(isInsideWindow({ start: '09:00', end: '17:00' }, 12 * 60)).toBe(true);
    expect(isInsideWindow({ start: '09:00', end: '17:00' }, 18 * 60)).toBe(false);
  });
});
