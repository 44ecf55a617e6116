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

/** The limit as the field shows it again: whole MiB/s when it is one ("200 MiB/s"), else KiB/s. */
export function bandwidthLimitText(value: number | null): string {
  if (value === null) return '';
  const mib = value / (1024 * 1024);
  if (Number.isInteger(mib)) return `${mib} MiB/s`;
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
