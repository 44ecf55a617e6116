/**
 * The schedule window: when queued transfers may run (e.g. 22:00–06:00 on weeknights). Times are
 * local wall-clock minutes, read through a calendar port so tests can drive them with a fake clock.
 */
import { DiskFerryError } from '../errors.js';

/** One daily window. An end before the start spans midnight; equal start and end is the whole day. */
export interface ScheduleWindow {
  /** `HH:MM`, local time. */
  readonly start: string;
  /** `HH:MM` (or `24:00`), local time. */
  readonly end: string;
  /** Days on which the window opens, 0 = Sunday … 6 = Saturday; absent = every day. */
  readonly days?: readonly number[];
}

/** A moment as the calendar sees it: day of the week (0 = Sunday) and minute of the day. */
export interface LocalTime {
  readonly day: number;
  readonly minute: number;
}

/** Maps epoch ms to local time (the host's time zone in production). */
export type Calendar = (epochMs: number) => LocalTime;

/** The host's local time. */
export const localCalendar: Calendar = (ms) => {
  const d = new Date(ms);
  return { day: d.getDay(), minute: d.getHours() * 60 + d.getMinutes() };
};

/** UTC, for tests that must not depend on the machine's time zone. */
export const utcCalendar: Calendar = (ms) => {
  const d = new Date(ms);
  return { day: d.getUTCDay(), minute: d.getUTCHours() * 60 + d.getUTCMinutes() };
};

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function minutesOf(hhmm: string, what: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm.trim());
  const h = m ? Number(m[1]) : NaN;
  const min = m ? Number(m[2]) : NaN;
  if (!m || min > 59 || h > 24 || (h === 24 && min !== 0)) throw badWindow(`${what} '${hhmm}' is not a time (HH:MM)`);
  return h * 60 + min;
}

function badWindow(why: string): DiskFerryError {
  return new DiskFerryError('bad-input', `${why}. Write a window like 22:00-06:00 or mon-fri 22:00-06:00.`, { retryable: false });
}

function parseDays(text: string): number[] {
  const days = new Set<number>();
  for (const part of text.toLowerCase().split(',')) {
    const [a, b] = part.split('-').map((s) => DAY_NAMES.indexOf(s.trim().slice(0, 3)));
    if (a === undefined || a < 0 || (b !== undefined && b < 0)) throw badWindow(`'${part}' is not a day or a range of days`);
    // A range may wrap around the week (fri-mon).
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(d);
      if (b === undefined || d === b) break;
    }
  }
  return [...days].sort();
}

/** Parses `22:00-06:00` or `mon-fri 22:00-06:00` (days: sun…sat, ranges and commas). */
export function parseWindow(text: string): ScheduleWindow {
  const m = /^\s*(?:([a-z,-]+)\s+)?(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$/i.exec(text);
  if (!m) throw badWindow(`'${text}' is not a schedule window`);
  const start = m[2]!;
  const end = m[3]!;
  minutesOf(start, 'The start');
  minutesOf(end, 'The end');
  return m[1] ? { start, end, days: parseDays(m[1]) } : { start, end };
}

/** Checks a window given as data (from a store or the app's settings). */
export function validateWindow(w: ScheduleWindow): ScheduleWindow {
  minutesOf(w.start, 'The start');
  minutesOf(w.end, 'The end');
  if (w.days && w.days.some((d) => !Number.isInteger(d) || d < 0 || d > 6)) throw badWindow('Days are numbers from 0 (Sunday) to 6 (Saturday)');
  return w;
}

function opensOn(w: ScheduleWindow, day: number): boolean {
  return !w.days || w.days.includes(day);
}

/** True when `t` lies inside one of the windows; no windows means always open. */
export function isWindowOpen(windows: readonly ScheduleWindow[], t: LocalTime): boolean {
  if (windows.length === 0) return true;
  return windows.some((w) => {
    const start = minutesOf(w.start, 'The start');
    const end = minutesOf(w.end, 'The end');
    const yesterday = (t.day + 6) % 7;
    if (start === end) return opensOn(w, t.day);
    if (start < end) return opensOn(w, t.day) && t.minute >= start && t.minute < end;
    // Spans midnight: the part after midnight belongs to the day the window opened.
    return (opensOn(w, t.day) && t.minute >= start) || (opensOn(w, yesterday) && t.minute < end);
  });
}

const MINUTE = 60_000;
/** A week and a day: every weekly pattern changes within it, or never. */
const HORIZON_MINUTES = 8 * 24 * 60;

/**
 * The first minute boundary after `now` at which the window opens or closes, or null when it never
 * changes. Stepping through minutes (at most a week's worth) keeps this right across DST changes,
 * where adding hours to a date would not.
 */
export function nextWindowChange(windows: readonly ScheduleWindow[], now: number, calendar: Calendar): number | null {
  if (windows.length === 0) return null;
  const open = isWindowOpen(windows, calendar(now));
  let t = Math.floor(now / MINUTE) * MINUTE + MINUTE;
  for (let i = 0; i < HORIZON_MINUTES; i++, t += MINUTE) if (isWindowOpen(windows, calendar(t)) !== open) return t;
  return null;
}

/** `mon-fri 22:00-06:00` style text of a window, for messages and listings. */
export function describeWindow(w: ScheduleWindow): string {
  const days = w.days && w.days.length < 7 ? `${w.days.map((d) => DAY_NAMES[d]).join(',')} ` : '';
  return `${days}${w.start}-${w.end}`;
}
