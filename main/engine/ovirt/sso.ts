/**
 * Engine SSO (reference/engine.md §1.1, §1.4): the OAuth password grant and the logout. The token
 * endpoint compares `Accept` with `equals("application/json")`, so exactly that header is sent.
 */
import type { Dispatcher } from 'undici';
import { DiskFerryError } from '../errors.js';
import { notJsonError, redirectError, ssoError, tryJson, type RequestContext } from './engine-errors.js';
import { parseToken } from './schemas.js';
import { exchange } from './transport.js';
import { joinUrl } from './urls.js';

/** An access token and its expiry on this machine's clock (epoch ms; null when unknown). */
export interface SsoToken {
  readonly value: string;
  readonly expiresAt: bigint | null;
}

/** How to reach the SSO endpoints. */
export interface SsoEndpoint {
  readonly dispatcher: Dispatcher;
  /** `https://engine/ovirt-engine` */
  readonly base: URL;
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

const SSO_HEADERS = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' } as const;

/**
 * The token's expiry on the local clock. `exp` is the engine's clock (epoch ms), which may differ
 * from ours: with the answer's `Date` header the remaining lifetime is carried over to the local
 * clock (to the second, as the header gives it); without one, an `exp` already past locally is
 * ignored, so a clock running ahead does not make every call log in again (a 401 still does).
 */
export function localExpiry(exp: bigint | null, serverDate: string | undefined, localNow: number): bigint | null {
  if (exp === null) return null;
  const server = serverDate === undefined ? NaN : Date.parse(serverDate);
  if (Number.isFinite(server)) return BigInt(Math.floor(localNow)) + (exp - BigInt(server));
  return exp > BigInt(Math.floor(localNow)) ? exp : null;
}

/** Logs in with the password grant; `auth-failed` carries the engine's own message. */
export async function requestToken(ep: SsoEndpoint, username: string, password: string, signal: AbortSignal, where: string, now: () => number = Date.now): Promise<SsoToken> {
  const ctx: RequestContext = { what: `Logging in to the engine as ${username}`, where, secrets: [password] };
  const body = new URLSearchParams({ grant_type: 'password', scope: 'ovirt-app-api', username, password }).toString();
  const url = joinUrl(ep.base, '/sso/oauth/token');
  const res = await exchange(ep.dispatcher, { method: 'POST', url, headers: SSO_HEADERS, body, signal, timeoutMs: ep.timeoutMs, maxBytes: ep.maxBytes }, ctx);
  if (res.status >= 300 && res.status < 400) throw redirectError(res.status, ctx);
  if (res.status !== 200) throw ssoError(res.status, res.body, ctx);
  const json = tryJson(res.body);
  if (json === undefined) throw notJsonError(res.status, res.contentType, ctx);
  const token = parseToken(json);
  return { value: token.accessToken, expiresAt: localExpiry(token.expiresAt, res.date, now()) };
}

/** Ends the engine session behind `token` (`{}` on success, `{error…}` otherwise). */
export async function revokeToken(ep: SsoEndpoint, token: string, signal: AbortSignal, where: string): Promise<void> {
  const ctx: RequestContext = { what: 'Logging out of the engine', where, secrets: [token] };
  const body = new URLSearchParams({ scope: 'ovirt-app-api', token }).toString();
  const url = joinUrl(ep.base, '/services/sso-logout');
  const res = await exchange(ep.dispatcher, { method: 'POST', url, headers: SSO_HEADERS, body, signal, timeoutMs: ep.timeoutMs, maxBytes: ep.maxBytes }, ctx);
  if (res.status >= 300 && res.status < 400) throw redirectError(res.status, ctx);
  const json = tryJson(res.body) as { error?: unknown } | undefined;
  if (res.status !== 200 || (json && typeof json === 'object' && 'error' in json))
    throw new DiskFerryError('engine-fault', `${ctx.what} failed (HTTP ${res.status}); the session ends by itself after 30 idle minutes.`, {
      status: res.status,
      retryable: false,
    });
}
