/** One clock in the whole window: the system locale's hour cycle, in rows, sentences and the window's fields. */
import { describe, expect, it } from 'vitest';
import { formatTime, formatTimeOfDay, hourCycleOf, parseTimeOfDay, withHourCycle } from '../../renderer/lib/format.js';
import { displayLocale } from '../../renderer/i18n/language.js';
import { createI18n } from '../../renderer/i18n/setup.js';

/** Spaces as ICU writes them around AM/PM (U+202F in newer versions) made plain. */
const plain = (s: string) => s.replace(/[\u202f\u00a0]/g, ' ');

describe('time of day', () => {
  it('takes the hour cycle from the system locale', () => {
    expect(hourCycleOf('en-US')).toBe('h12');
    expect(hourCycleOf('en-GB')).toBe('h23');
    expect(hourCycleOf('ja-JP')).toBe('h23');
    expect(hourCycleOf('de-DE')).toBe('h23');
    expect(withHourCycle('en', 'h23')).toBe('en-u-hc-h23');
  });

  it('writes the English and the Japanese window in the system clock, whichever language is shown', () => {
    expect(plain(formatTimeOfDay('22:00', displayLocale('en', ['en-US'])))).toBe('10:00 PM');
    expect(formatTimeOfDay('22:00', displayLocale('en', ['en-GB']))).toBe('22:00');
    expect(formatTimeOfDay('22:00', displayLocale('en', ['ja-JP']))).toBe('22:00');
    expect(formatTimeOfDay('22:00', displayLocale('ja', ['ja-JP']))).toBe('22:00');
    expect(formatTimeOfDay('22:00', displayLocale('ja', ['en-US']))).toBe('午後10:00');
    // An epoch time of a row and a time of day of the window agree in one locale.
    const locale = displayLocale('en', ['en-US']);
    expect(formatTime(Date.UTC(2026, 0, 1, 22, 0), locale, 'UTC')).toBe(formatTimeOfDay('22:00', locale));
  });

  it('reads what is typed in either clock, and what it shows', () => {
    for (const [typed, hhmm] of [
      ['22:00', '22:00'],
      ['2200', '22:00'],
      ['22', '22:00'],
      ['6:30', '06:30'],
      ['10 pm', '22:00'],
      ['10:00 PM', '22:00'],
      ['10:00\u202fPM', '22:00'],
      ['10:00 p.m.', '22:00'],
      ['12 am', '00:00'],
      ['12 pm', '12:00'],
      ['午後10:00', '22:00'],
      ['午前6時', '06:00'],
    ] as const)
      expect(parseTimeOfDay(typed), typed).toBe(hhmm);
    for (const bad of ['', 'abc', '24:00', '13 pm', '0 am', '7:5', '10:60']) expect(parseTimeOfDay(bad), bad).toBeNull();
    for (const system of ['en-US', 'en-GB', 'ja-JP'])
      for (const lang of ['en', 'ja'] as const) expect(parseTimeOfDay(formatTimeOfDay('22:05', displayLocale(lang, [system])))).toBe('22:05');
  });

  it('formats the rows\u2019 and the summary\u2019s times of day with the same clock', async () => {
    const us = await createI18n('en', ['en-US']);
    expect(plain(us.t('phase.queuedWindow', { start: '22:00' }))).toBe('queued — starts at 10:00 PM');
    expect(plain(us.t('queue.windowSummary', { start: '22:00', end: '06:00' }))).toBe('window 10:00 PM–6:00 AM');
    const gb = await createI18n('en', ['en-GB']);
    expect(gb.t('phase.queuedWindow', { start: '22:00' })).toBe('queued — starts at 22:00');
    expect(gb.t('start.window', { start: '22:00', end: '06:00' })).toBe('In the window (22:00–06:00)');
    const ja = await createI18n('ja', ['ja-JP']);
    expect(ja.t('phase.queuedWindow', { start: '22:00' })).toBe('待機中 — 22:00 に開始');
  });
});
