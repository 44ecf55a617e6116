/**
 * The part of the engine search language clients use: `?search=a=x and b=y*`, `case_sensitive`
 * (default true) and `max` (reference/engine.md §3.4).
 */
import { ApiError, inputBool, inputInt } from './http-util.js';

/** Per entity type: the searchable fields and how to read each from a record (a list matches if any value does). */
export type SearchFields<T> = Readonly<Record<string, (item: T) => string | readonly string[] | undefined>>;

interface Term {
  readonly field: string;
  readonly value: string;
}

function syntaxError(query: string): ApiError {
  return new ApiError(400, { reason: 'Operation Failed', detail: `[Search query syntax error: '${query}']` });
}

/** Splits `a=x and b=y` into terms (values may be quoted; `*` is a wildcard). */
function parseSearch(query: string): Term[] {
  const trimmed = query.trim();
  if (trimmed === '') return [];
  return trimmed.split(/\s+and\s+/i).map((part) => {
    const m = /^([A-Za-z_.]+)\s*=\s*(.*)$/.exec(part.trim());
    if (!m || m[2] === undefined || m[2] === '') throw syntaxError(query);
    const quoted = /^"(.*)"$|^'(.*)'$/.exec(m[2]);
    // Unquoted, a value ends at white space, and the engine refuses the word after it.
    if (!quoted && /\s/.test(m[2])) throw syntaxError(query);
    const value = quoted ? (quoted[1] ?? quoted[2]!) : m[2];
    return { field: m[1]!.toLowerCase(), value };
  });
}

function matcher(pattern: string, caseSensitive: boolean): (s: string) => boolean {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  const re = new RegExp(`^${escaped}$`, caseSensitive ? '' : 'i');
  return (s) => re.test(s);
}

/** Filters `items` by the request's `search`, `case_sensitive` and `max` query parameters. */
export function applySearch<T>(items: readonly T[], query: URLSearchParams, fields: SearchFields<T>): T[] {
  const search = query.get('search');
  const caseSensitive = inputBool(query.get('case_sensitive') ?? undefined, 'case_sensitive') ?? true;
  const max = inputInt(query.get('max') ?? undefined, 'max');
  let out = [...items];
  if (search !== null) {
    for (const term of parseSearch(search)) {
      const get = fields[term.field];
      if (!get) throw syntaxError(search);
      const match = matcher(term.value, caseSensitive);
      out = out.filter((item) => {
        const v = get(item);
        if (v === undefined) return false;
        return typeof v === 'string' ? match(v) : v.some(match);
      });
    }
  }
  if (max !== undefined && max >= 0) out = out.slice(0, max);
  return out;
}
