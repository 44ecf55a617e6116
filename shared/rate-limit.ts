/**
 * Bandwidth limits as administrators write them, one parser for the window's limit field and the
 * command line's --limit / --window-limit. Accepted:
 * - a number alone is MiB/s ("200" = 200 MiB/s), the unit the window shows limits in;
 * - binary byte units: "40 MiB/s", "40MiB", "40M", "1.5 GiB/s", "512 KiB/s", "1G";
 * - decimal byte units (SI, as network tools use them): "40 MB/s" = 40,000,000 bytes/s, "kB", "GB";
 * - bits per second: "500 Mbit/s", "1 Gbit/s", "100 Mbps", "800 kbit/s" (decimal, divided by 8);
 * - "" / "0" / "none" / "off": no limit.
 * "/s", "/sec" and "ps" are optional; case is ignored. Pure; tested.
 */

/** The smallest limit the queue and the throttle take (bytes per second). */
export const MIN_RATE_LIMIT = 64 * 1024;

/** A number alone above this is not taken as MiB/s: it is most likely bytes, and the unit must be written. */
export const MAX_BARE_MIB = 100_000;

/** The forms the messages name (the same in both languages: they are what is typed). */
export const RATE_LIMIT_EXAMPLES = '200 (MiB/s), 40 MiB/s, 40 MB/s, 500 Mbit/s, 1 Gbit/s';

/** Why a limit was not accepted: not a rate at all, under 64 KiB/s, or a large bare number. */
export type RateLimitProblem = 'not-a-rate' | 'too-small' | 'needs-unit';

/** What was typed: `null` = no limit, bytes per second, or the reason it is refused. */
export type ParsedRateLimit = { readonly ok: true; readonly value: number | null } | { readonly ok: false; readonly problem: RateLimitProblem };

const KIB = 1024;
const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const TIB = 1024 ** 4;

/** Bytes per second of one of each unit, by its lowercased spelling without "/s". */
const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  byte: 1,
  bytes: 1,
  k: KIB,
  kib: KIB,
  m: MIB,
  mib: MIB,
  g: GIB,
  gib: GIB,
  t: TIB,
  tib: TIB,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  bit: 1 / 8,
  bits: 1 / 8,
  bps: 1 / 8,
  kbit: 1e3 / 8,
  kbits: 1e3 / 8,
  kbps: 1e3 / 8,
  mbit: 1e6 / 8,
  mbits: 1e6 / 8,
  mbps: 1e6 / 8,
  gbit: 1e9 / 8,
  gbits: 1e9 / 8,
  gbps: 1e9 / 8,
};

const NO_LIMIT = new Set(['', '0', 'none', 'off', 'no limit']);

/** Parses a bandwidth limit as typed (see the header for the forms). */
export function parseRateLimit(text: string): ParsedRateLimit {
  const trimmed = text.trim().toLowerCase();
  if (NO_LIMIT.has(trimmed)) return { ok: true, value: null };
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*(?:\/\s*s(?:ec|econd)?)?$/.exec(trimmed);
  if (!m) return { ok: false, problem: 'not-a-rate' };
  const amount = Number(m[1]);
  const unit = m[2]!;
  let factor: number | undefined;
  if (unit === '') {
    if (amount > MAX_BARE_MIB) return { ok: false, problem: 'needs-unit' };
    factor = MIB;
  } else {
    factor = UNIT_BYTES[unit];
  }
  if (factor === undefined || !Number.isFinite(amount)) return { ok: false, problem: 'not-a-rate' };
  const value = Math.round(amount * factor);
  if (value === 0) return { ok: true, value: null };
  if (value < MIN_RATE_LIMIT) return { ok: false, problem: 'too-small' };
  return { ok: true, value };
}

/** Why `value` of option `name` is refused, in English with what is accepted (the CLI; the window translates its own). */
export function rateLimitProblemText(name: string, value: string, problem: RateLimitProblem): string {
  switch (problem) {
    case 'too-small':
      return `${name} '${value}' is below the smallest limit, 64 KiB/s.`;
    case 'needs-unit':
      return `${name} '${value}': a number alone is MiB/s, and this one is too large for that. Write its unit, e.g. 1048576B/s or 1MiB/s.`;
    case 'not-a-rate':
      return `${name} takes a rate such as ${RATE_LIMIT_EXAMPLES}, not '${value}'.`;
  }
}
