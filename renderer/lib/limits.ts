/**
 * Parsing and showing the queue's global limits as the user types them: a bandwidth limit such as
 * "200 MiB/s" (empty = none) and a daily window "22:00"–"06:00". Pure; tested.
 */
import { parseSize } from '../../shared/format.js';
import type { ScheduleWindow } from '../../shared/ipc.js';

/** The smallest limit the core accepts (bytes per second). */
export const MIN_BANDWIDTH_LIMIT = 64 * 1024;

/** What the user typed as a bandwidth limit: `null` = no limit, a number of bytes/s, or invalid. */
export type ParsedLimit = { readonly ok: true; readonly value: number | null } | { readonly ok: false };

/** Parses "200 MiB/s", "200M", "1.5 GiB/s", "" (none); refuses sizes under 64 KiB/s. */
export function parseBandwidthLimit(text: string): ParsedLimit {
  const trimmed = text.trim().replace(/\s*\/\s*s(ec)?$/i, '');
  if (trimmed === '' || trimmed === '0') return { ok: true, value: null };
  const value = parseSize(trimmed);
  if (value === null || value < MIN_BANDWIDTH_LIMIT) return { ok: false };
  return { ok: true, value };
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
