/** Engine addresses: what the user typed → the `/ovirt-engine` base every path hangs off. */
import { DiskFerryError } from '../errors.js';

/**
 * Normalises an engine address: `https://engine`, `https://engine/ovirt-engine/`,
 * `https://engine/ovirt-engine/api` and `https://engine/ovirt-engine/api/v4` (the API version may be
 * part of the path, reference/engine.md §1.2) all become `https://engine/ovirt-engine`. Only `https:` unless
 * `allowHttp` (the CA download, which is verified by its fingerprint instead).
 */
export function engineBaseUrl(input: string, options: { allowHttp?: boolean } = {}): URL {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch (err) {
    throw new DiskFerryError('bad-input', `'${input}' is not a valid engine address. Use https://engine.example.com/ovirt-engine.`, { cause: err });
  }
  const schemes = options.allowHttp ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol))
    throw new DiskFerryError('bad-input', `The engine address must start with https:// (got ${url.protocol}). Use https://engine.example.com/ovirt-engine.`);
  if (url.username || url.password)
    throw new DiskFerryError('bad-input', 'The engine address must not contain a user name or password; enter them in their own fields.');
  let path = url.pathname.replace(/\/+$/, '');
  path = path.replace(/\/api(?:\/v4)?$/, '');
  if (path === '') path = '/ovirt-engine';
  return new URL(`${url.protocol}//${url.host}${path}`);
}

/** `base` + `suffix` (which starts with `/`), with the query parameters that are defined. */
export function joinUrl(base: URL, suffix: string, query: Readonly<Record<string, string | number | undefined>> = {}): URL {
  const url = new URL(base.href + suffix);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url;
}

/**
 * A search (`?search=`) for disks of exactly this name, or a few more: the value is quoted so white
 * space is part of it; a `"` cannot be quoted and becomes the `*` wildcard. Callers keep only exact
 * matches of what comes back.
 */
export function nameSearch(name: string): string {
  return `name="${name.replace(/"/g, '*')}"`;
}
