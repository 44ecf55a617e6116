/**
 * Which HTTP proxy a connection goes through. The engine REST client and the imageio data plane
 * both ask one port, "the proxy for this URL" (`ProxyResolver`), and tunnel through the answer with
 * CONNECT (`tunnel.ts`); each host builds the port: the command line from HTTPS_PROXY and NO_PROXY,
 * the app from the operating system's settings (Electron's session) or the engine profile's own.
 */
import { BlockList, isIP } from 'node:net';
import { DiskFerryError } from '../errors.js';

/** The proxy to reach `target` through (`http://host:port`, maybe with credentials), or null to connect directly. */
export type ProxyResolver = (target: URL) => Promise<URL | null> | URL | null;

/** Always direct. */
export const noProxy: ProxyResolver = () => null;

/**
 * A profile's proxy setting: `system` (the operating system's settings in the app, HTTPS_PROXY and
 * NO_PROXY on the command line), `none` (always direct), or the URL of an HTTP proxy.
 */
export type ProxySetting = 'system' | 'none' | (string & {});

/** `http://host:port` of a proxy, without credentials: safe to show and log. */
export function describeProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

/** A host name without the brackets of an IPv6 literal (what sockets and certificate checks take). */
export function bareHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** The port of a URL, or its scheme's default. */
export function portOf(url: URL): number {
  return Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
}

/**
 * Parses a proxy address: `http://[user:password@]host:port`, or `host:port` (taken as http://, as
 * curl does). Only HTTP proxies: DiskFerry speaks CONNECT to them in the clear, and the TLS inside
 * the tunnel is end to end with the engine or the imageio server. `source` names where the
 * address came from, for the message.
 */
export function parseProxyUrl(text: string, source: string): URL {
  const trimmed = text.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (err) {
    throw new DiskFerryError('bad-input', `The proxy address in ${source} is not valid. Use http://proxy.example.com:3128.`, { cause: err, retryable: false });
  }
  if (url.protocol !== 'http:')
    throw new DiskFerryError(
      'bad-input',
      `The proxy in ${source} uses ${url.protocol.replace(/:$/, '')}://, which DiskFerry cannot use: it tunnels through HTTP proxies (CONNECT) only. Use http://proxy.example.com:3128.`,
      { retryable: false },
    );
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash)
    throw new DiskFerryError('bad-input', `The proxy address in ${source} must be only http://host:port, without a path.`, { retryable: false });
  // curl assumes 1080 and undici 80: a port written out leaves no doubt.
  if (!/:\d+\/?$/.test(withScheme))
    throw new DiskFerryError('bad-input', `The proxy address in ${source} has no port. Write it out: http://${url.host}:3128 (or whichever port the proxy listens on).`, { retryable: false });
  return url;
}

/**
 * True when NO_PROXY (`no_proxy`) says to connect to `target` directly. Entries are separated by
 * commas or white space: `*` (everything), a host name (itself and its subdomains; a leading dot or
 * `*.` is the same), an IP address (IPv6 with or without brackets), a CIDR range, each optionally with
 * `:port`. As in curl, loopback addresses are not special: list them when they must bypass the proxy.
 */
export function bypassesProxy(noProxy: string, target: URL): boolean {
  const host = bareHost(target).toLowerCase().replace(/\.$/, '');
  const port = portOf(target);
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    let entryPort: number | null = null;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      entry = bracketed[1]!;
      entryPort = bracketed[2] ? Number(bracketed[2]) : null;
    } else if (/^[^:]+:\d+$/.test(entry)) {
      const at = entry.lastIndexOf(':');
      entryPort = Number(entry.slice(at + 1));
      entry = entry.slice(0, at);
    }
    if (entryPort !== null && entryPort !== port) continue;
    if (matchesAddress(entry, host) ?? matchesName(entry, host)) return true;
  }
  return false;
}

/** An IP or CIDR entry against the host: true/false, or null when the entry is a name. */
function matchesAddress(entry: string, host: string): boolean | null {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return null;
  const hostFamily = isIP(host);
  if (hostFamily === 0) return false;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  const list = new BlockList();
  const prefix = slash < 0 ? (family === 6 ? 128 : 32) : Number(entry.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) return false;
  list.addSubnet(address, prefix, type);
  return list.check(host, hostFamily === 6 ? 'ipv6' : 'ipv4');
}

function matchesName(entry: string, host: string): boolean {
  const name = entry.replace(/^\*?\./, '').replace(/\.$/, '');
  return name !== '' && (host === name || host.endsWith(`.${name}`));
}

/** The first set variable of `names` (an empty value counts as unset). */
function firstSet(env: Readonly<Record<string, string | undefined>>, names: readonly string[]): { name: string; value: string } | null {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return null;
}

/**
 * The proxy from the environment, as curl reads it for https:// addresses: `https_proxy`, then
 * `HTTPS_PROXY`, then `all_proxy` / `ALL_PROXY`, minus what `no_proxy` / `NO_PROXY` lists. Every
 * DiskFerry connection is https, so HTTP_PROXY is not read. A malformed address fails the first
 * connection with a message naming the variable.
 */
export function envProxyResolver(env: Readonly<Record<string, string | undefined>>): ProxyResolver {
  const set = firstSet(env, ['https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']);
  if (!set) return noProxy;
  const exceptions = firstSet(env, ['no_proxy', 'NO_PROXY'])?.value ?? '';
  let parsed: URL | null = null;
  return (target) => {
    if (bypassesProxy(exceptions, target)) return null;
    parsed ??= parseProxyUrl(set.value, set.name);
    return parsed;
  };
}

/**
 * The proxy from a PAC-style answer, as Electron's `session.resolveProxy` gives it
 * (`PROXY host:port; DIRECT`): the first entry DiskFerry can use. `HTTPS` and `SOCKS` entries are
 * skipped; when nothing else is offered, the error says what to set instead.
 */
export function proxyFromPac(answer: string): URL | null {
  const entries = answer.split(';').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 0) return null;
  const unusable: string[] = [];
  for (const entry of entries) {
    const [kind = '', address = ''] = entry.split(/\s+/, 2);
    if (kind.toUpperCase() === 'DIRECT') return null;
    if (kind.toUpperCase() === 'PROXY' && address) return parseProxyUrl(address, "the system's proxy settings");
    unusable.push(kind.toUpperCase());
  }
  throw new DiskFerryError(
    'bad-input',
    `The system's proxy settings name only ${unusable.join(' and ')} proxies for this address, which DiskFerry cannot use: it tunnels through HTTP proxies (CONNECT) only. ` +
      "Set an HTTP proxy in this engine's settings, or choose \"No proxy\" when the engine is reachable directly.",
    { retryable: false },
  );
}

/** The resolver a profile's setting means, given the host's system resolver. */
export function proxyResolverFor(setting: ProxySetting, system: ProxyResolver): ProxyResolver {
  if (setting === 'system') return system;
  if (setting === 'none') return noProxy;
  const url = parseProxyUrl(setting, "this engine's proxy setting");
  return () => url;
}
