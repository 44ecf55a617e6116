/**
 * Locale-aware formatting for the window: sizes, rates, durations, percentages and times, all through
 * Intl. Pure functions of their arguments (the locale is a parameter), so they are unit-tested.
 * Sizes use 1024-based IEC units like the engine UI and ovirt-img; unknown values are an em dash.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;
const UNKNOWN = '—';

const numberFormats = new Map<string, Intl.NumberFormat>();

/** A cached Intl.NumberFormat (constructing one per row of a 1,000-job queue would be slow). */
function numberFormat(locale: string, digits: number): Intl.NumberFormat {
  const key = `${locale}|${digits}`;
  let nf = numberFormats.get(key);
  if (!nf) {
    nf = new Intl.NumberFormat(locale, { minimumFractionDigits: 0, maximumFractionDigits: digits });
    numberFormats.set(key, nf);
  }
  return nf;
}

/** Splits a byte count into a value and an IEC unit (1536 → [1.5, 'KiB']). */
export function scaleBytes(bytes: number): { readonly value: number; readonly unit: (typeof UNITS)[number] } {
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return { value: bytes < 0 ? -value : value, unit: UNITS[unit] ?? 'B' };
}

/** "3.1 TiB", "820 GiB", "512 B"; one decimal below 100 of a unit, none above; null → "—". */
export function formatBytes(bytes: number | null, locale: string): string {
  if (bytes === null || !Number.isFinite(bytes)) return UNKNOWN;
  const { value, unit } = scaleBytes(bytes);
  const digits = unit === 'B' || Math.abs(value) >= 100 ? 0 : 1;
  return `${numberFormat(locale, digits).format(value)} ${unit}`;
}

/** "412 MiB/s"; null (not measurable yet) → "—". */
export function formatRate(bytesPerSecond: number | null, locale: string): string {
  if (bytesPerSecond === null || !Number.isFinite(bytesPerSecond)) return UNKNOWN;
  return `${formatBytes(Math.round(bytesPerSecond), locale)}/s`;
}

/** Seconds as "0:38", "6:02" or "1:02:03"; null → "—". Digits only, the same in every locale. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return UNKNOWN;
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** The fraction done in [0, 1], or null when the total is unknown or zero. */
export function fractionDone(done: number, total: number | null): number | null {
  if (total === null || total <= 0) return null;
  return Math.min(1, Math.max(0, done / total));
}

/** "71 %" / "71%" per locale, rounded down so 100 % only shows when everything is there. */
export function formatPercent(fraction: number | null, locale: string): string {
  if (fraction === null) return UNKNOWN;
  const floored = Math.floor(fraction * 100) / 100;
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(floored);
}

/** A date and time in the locale's medium/short style; null → "—". */
export function formatDateTime(epochMs: number | null, locale: string, timeZone?: string): string {
  if (epochMs === null) return UNKNOWN;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', ...(timeZone ? { timeZone } : {}) }).format(epochMs);
}

/** A clock's hour cycle: 'h23' writes 22:00, 'h12' writes 10:00 PM. */
export type HourCycle = 'h12' | 'h23';

/** The hour cycle the system's locale uses ('en-US' → h12, 'en-GB', 'de', 'ja' → h23). */
export function hourCycleOf(systemLocale: string | undefined): HourCycle {
  let cycle: string | undefined;
  try {
    cycle = new Intl.DateTimeFormat(systemLocale, { hour: 'numeric' }).resolvedOptions().hourCycle;
  } catch {
    cycle = undefined; // not a locale Intl knows: the default locale's cycle below
  }
  cycle ??= new Intl.DateTimeFormat(undefined, { hour: 'numeric' }).resolvedOptions().hourCycle;
  return cycle === 'h11' || cycle === 'h12' ? 'h12' : 'h23';
}

/**
 * The locale to format in with the system's hour cycle (`en-u-hc-h23`): every time the window shows
 * (rows, details, the overnight window, its inputs) then follows the system, whichever language is shown.
 */
export function withHourCycle(locale: string, hourCycle: HourCycle): string {
  try {
    return new Intl.Locale(locale, { hourCycle }).toString();
  } catch {
    return locale;
  }
}

/** A time of day "HH:MM" as the locale writes it ("22:00", "10:00 PM", "午後10:00"); not one → as given. */
export function formatTimeOfDay(hhmm: string, locale: string): string {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) return hhmm;
  return formatTime(Date.UTC(1970, 0, 1, Number(m[1]), Number(m[2])), locale, 'UTC');
}

/**
 * Reads a time of day as typed, in either clock: "22:00", "22.00", "2200", "22", "10 pm",
 * "10:00 PM", "10:00 p.m.", "午後10:00", "午前6時" → "HH:MM"; null when it is not a time of day.
 */
export function parseTimeOfDay(text: string): string | null {
  let t = text.trim().toLowerCase().replace(/[\s\u202f\u00a0]+/g, ' ');
  let half: 'am' | 'pm' | null = null;
  const marker = /^(午前|午後)\s*|\s*(a\.?m\.?|p\.?m\.?|午前|午後)$/.exec(t);
  if (marker) {
    const word = (marker[1] ?? marker[2] ?? '').replace(/\./g, '');
    half = word === 'am' || word === '午前' ? 'am' : 'pm';
    t = (t.slice(0, marker.index) + t.slice(marker.index + marker[0].length)).trim();
  }
  const m = /^(\d{1,2})(?:(?:[:.時]|\s)?(\d{2})分?)?時?$/.exec(t);
  if (!m) return null;
  let hours = Number(m[1]);
  const minutes = Number(m[2] ?? '0');
  if (minutes > 59) return null;
  if (half) {
    if (hours < 1 || hours > 12) return null;
    hours = (hours % 12) + (half === 'pm' ? 12 : 0);
  } else if (hours > 23) {
    return null;
  }
  return `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
}

/** A time of day ("22:00", "10:00 PM", "午後10:00"); null → "—". */
export function formatTime(epochMs: number | null, locale: string, timeZone?: string): string {
  if (epochMs === null) return UNKNOWN;
  return new Intl.DateTimeFormat(locale, { timeStyle: 'short', ...(timeZone ? { timeZone } : {}) }).format(epochMs);
}

/** A plain integer with the locale's grouping ("1,000" / "1.000"). */
export function formatCount(n: number, locale: string): string {
  return numberFormat(locale, 0).format(n);
}

/** The last part of a local path ("web-01.raw" of "/srv/images/web-01.raw"; either separator). */
export function fileNameOf(path: string): string {
  return path.split(/[\\/]/).filter((p) => p !== '').pop() ?? path;
}
