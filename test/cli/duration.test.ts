/** `--older-than DURATION` and any other duration option (args.ts parseDuration). */
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../main/cli/args.js';

describe('parseDuration', () => {
  it('reads seconds, minutes, hours and days; a bare number is seconds', () => {
    expect(parseDuration('--older-than', '90s')).toBe(90_000);
    expect(parseDuration('--older-than', '30m')).toBe(1_800_000);
    expect(parseDuration('--older-than', '30min')).toBe(1_800_000);
    expect(parseDuration('--older-than', '2h')).toBe(7_200_000);
    expect(parseDuration('--older-than', '1.5d')).toBe(129_600_000);
    expect(parseDuration('--older-than', '45')).toBe(45_000);
    expect(parseDuration('--older-than', undefined)).toBeUndefined();
  });

  it('refuses what is not a duration, naming the option and the forms it takes', () => {
    for (const bad of ['', '0', '-5m', '2 weeks', 'h', '1y'])
      expect(() => parseDuration('--older-than', bad)).toThrow(/--older-than takes a duration such as 90s, 30m, 2h or 1d/);
  });
});
