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

/** A time of day ("22:00", "午後10:00"); null → "—". */
export function formatTime(epochMs: number | null, locale: string, timeZone?: string): string {
  if (epochMs === null) return UNKNOWN;
  return new Intl.DateTimeFormat(locale, { timeStyle: 'short', ...(timeZone ? { timeZone } : {}) }).format(epochMs);
}

/** A plain integer with the locale's grouping ("1,000" / "1.000"). */
export function formatCount(n: number, locale: string): string {
  return numberFormat(locale, 0).format(n);
}
