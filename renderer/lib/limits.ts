/**
 * Parsing and showing the queue's global limits as the user types them: a bandwidth limit such as
 * "200 MiB/s" (empty = none; the parser is shared/rate-limit.ts, the CLI's too) and a daily window
 * "22:00"–"06:00". Pure; tested.
 */
import { parseRateLimit, type ParsedRateLimit, type RateLimitProblem } from '../../shared/rate-limit.js';
import type { ScheduleWindow } from '../../shared/ipc.js';

/** What the user typed as a bandwidth limit: `null` = no limit, a number of bytes/s, or why it is refused. */
export type ParsedLimit = ParsedRateLimit;

/** Parses "200" (MiB/s), "200 MiB/s", "40 MB/s", "500 Mbit/s", "1 Gbit/s", "" (none) with the CLI's parser. */
export function parseBandwidthLimit(text: string): ParsedLimit {
  return parseRateLimit(text);
}

/** The i18n key of the inline message for a refused limit (each says what is accepted). */
export function limitProblemKey(problem: RateLimitProblem): string {
  return { 'not-a-rate': 'limits.notARate', 'too-small': 'limits.tooSmall', 'needs-unit': 'limits.needsUnit' }[problem];
}

/**
 * The limit as the field shows it again, in the first unit that states it exactly as a whole number
 * (binary bytes, then bits and decimal bytes as network tools write them): "200 MiB/s",
 * "1 Gbit/s", "40 MB/s", "500 Mbit/s", "512 KiB/s"; a rate none states exactly reads in KiB/s.
 * Typing the text back gives the same limit.
 */
export function bandwidthLimitText(value: number | null): string {
  if (value === null) return '';
  const units: ReadonlyArray<readonly [string, number]> = [
    ['GiB/s', 1024 ** 3],
    ['MiB/s', 1024 ** 2],
    ['Gbit/s', 1e9 / 8],
    ['MB/s', 1e6],
    ['Mbit/s', 1e6 / 8],
    ['KiB/s', 1024],
    ['kB/s', 1e3],
  ];
  for (const [unit, size] of units) if (Number.isInteger(value / size)) return `${value / size} ${unit}`;
  return `${Math.round(value / 1024)} KiB/s`;
}

/** True for a local time of day "HH:MM" (00:00–23:59). */
export function isTimeOfDay(text: string): boolean {
  return /^([01]\d|2[0-3]):[0-5]\d$/.test(text);
}

/** A window when both ends are valid and differ, else null. */
export function scheduleWindowOf(start: string, end: string): ScheduleWindow | null {
  if (!isTimeOfDay(start) || !isTimeOfDay(end) || start === end) return null;
  return { start, end };
}

/** Minutes after midnight of "HH:MM". */
function minutesOf(time: string): number {
  const [h, m] = time.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Whether a local time (minutes after midnight) falls inside the window; end before start spans midnight. */
export function isInsideWindow(window: ScheduleWindow, minutesNow: number): boolean {
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  return start < end ? minutesNow >= start && minutesNow < end : minutesNow >= start || minutesNow < end;
}
