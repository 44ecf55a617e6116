import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatRate } from '../../shared/format.js';

describe('format', () => {
  it('formats sizes with 1024-based units', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(512 * 1024 * 1024)).toBe('512.00 MiB');
    expect(formatBytes(1.3 * 1024 ** 3)).toBe('1.30 GiB');
    expect(formatBytes(null)).toBe('—');
    expect(formatRate(1024 * 1024 * 412)).toBe('412.00 MiB/s');
  });

  it('formats durations', () => {
    expect(formatDuration(38)).toBe('0:38');
    expect(formatDuration(362)).toBe('6:02');
    expect(formatDuration(3 * 3600 + 5)).toBe('3:00:05');
    expect(formatDuration(null)).toBe('—');
  });
});
