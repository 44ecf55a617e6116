import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDateTime, formatDuration, formatPercent, formatRate, fractionDone, scaleBytes } from '../../renderer/lib/format.js';

describe('renderer formatting', () => {
  it('scales bytes to IEC units', () => {
    expect(scaleBytes(1536)).toEqual({ value: 1.5, unit: 'KiB' });
    expect(scaleBytes(3.1 * 1024 ** 4).unit).toBe('TiB');
    expect(scaleBytes(512)).toEqual({ value: 512, unit: 'B' });
  });

  it('formats sizes with one decimal below 100 and none above, per locale', () => {
    expect(formatBytes(3.1 * 1024 ** 4, 'en')).toBe('3.1 TiB');
    expect(formatBytes(820 * 1024 ** 3, 'en')).toBe('820 GiB');
    expect(formatBytes(1536, 'de')).toBe('1,5 KiB');
    expect(formatBytes(0, 'en')).toBe('0 B');
    expect(formatBytes(2 * 1024 ** 6, 'en')).toBe('2,048 PiB');
  });

  it('shows unknown sizes and rates as a dash, never -1 or NaN', () => {
    expect(formatBytes(null, 'en')).toBe('—');
    expect(formatBytes(Number.NaN, 'en')).toBe('—');
    expect(formatRate(null, 'ja')).toBe('—');
  });

  it('formats rates as bytes per second', () => {
    expect(formatRate(412 * 1024 * 1024, 'en')).toBe('412 MiB/s');
    expect(formatRate(1.25 * 1024 * 1024, 'ja')).toBe('1.3 MiB/s');
  });

  it('formats durations as m:ss or h:mm:ss', () => {
    expect(formatDuration(38)).toBe('0:38');
    expect(formatDuration(362)).toBe('6:02');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('—');
  });

  it('computes the fraction done, null when the total is unknown', () => {
    expect(fractionDone(50, 200)).toBe(0.25);
    expect(fractionDone(300, 200)).toBe(1);
    expect(fractionDone(5, null)).toBeNull();
    expect(fractionDone(5, 0)).toBeNull();
  });

  it('rounds percentages down so 100 % means finished', () => {
    expect(formatPercent(0.999, 'en')).toBe('99%');
    expect(formatPercent(1, 'en')).toBe('100%');
    expect(formatPercent(0.71, 'de')).toBe('71\u00a0%');
    expect(formatPercent(null, 'en')).toBe('—');
  });

  it('formats dates per locale and groups counts', () => {
    const t = Date.UTC(2025, 0, 31, 22, 5);
    expect(formatDateTime(t, 'en-US', 'UTC').replace(/\s/g, ' ')).toBe('Jan 31, 2025, 10:05 PM');
    expect(formatDateTime(t, 'ja', 'UTC')).toBe('2025/01/31 22:05');
    expect(formatDateTime(null, 'en')).toBe('—');
    expect(formatCount(1000, 'en')).toBe('1,000');
  });
});
