/**
 * Engine SSO (reference/engine.md §1): the password grant at /sso/oauth/token, logout, and the
 * Bearer (or deprecated Basic) check in front of every /api call.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EngineContext } from './context.js';
import type { TokenRecord } from './model.js';
import { readBody, sendJson, sendText } from './http-util.js';
import { publishSecret } from '../secret-channel.js';

/** UserSessionTimeOutInterval: an engine session idles out after 30 min without REST calls. */
const SESSION_IDLE_MS = 30 * 60 * 1000;

/** SsoSession.validTo of an auth record without expiry: Long.MAX_VALUE, beyond JS safe integers. */
const NO_EXPIRY = '9223372036854775807';

const API_SCOPE = 'ovirt-app-api';

/** Request parameters the way getParameter sees them: query string and form body together. */
async function requestParams(req: IncomingMessage, url: URL): Promise<URLSearchParams> {
  const params = new URLSearchParams(url.searchParams);
  const body = (await readBody(req)).toString('utf8');
  for (const [k, v] of new URLSearchParams(body)) params.append(k, v);
  return params;
}

/** True when the scope is the REST API scope alone (then errors use `{error_code, error}`). */
function isApiScope(scope: string | null): boolean {
  if (scope === null) return false;
  const parts = scope.split(/\s+/);
  return parts.includes(API_SCOPE) && !parts.some((p) => p.startsWith('ovirt-app-admin') || p.startsWith('ovirt-app-portal'));
}

/** SsoService.sendJsonDataWithMessage: HTTP 400, one of two JSON shapes depending on the scope. */
function ssoError(res: ServerResponse, scope: string | null, code: string, message: string): void {
  const body = isApiScope(scope) ? { error_code: code, error: message } : { error: code, error_description: message };
  sendJson(res, 400, body);
}

/** Splits `user@profile` on the last `@`. */
function splitUser(username: string): { user: string; profile: string } | null {
  const at = username.lastIndexOf('@');
  if (at <= 0 || at === username.length - 1) return null;
  return { user: username.slice(0, at), profile: username.slice(at + 1) };
}

/** Checks a username/password pair against the configured account; null when valid, else the reason. */
function credentialProblem(ctx: EngineContext, username: string, password: string): string | null {
  const given = splitUser(username);
  const known = splitUser(ctx.username);
  if (!given || !known || given.profile !== known.profile) return 'No valid profile found in credentials.';
  if (username !== ctx.username || password !== ctx.password) return 'The username or password is incorrect.';
  return null;
}

/** POST /ovirt-engine/sso/oauth/token. */
export async function handleTokenRequest(ctx: EngineContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const params = await requestParams(req, url);
  const scope = params.get('scope');
  // validateClientAcceptHeader compares the whole header with equals(), so lists and */* fail.
  if (req.headers.accept !== 'application/json') return ssoError(res, scope, 'invalid_request', "Missing parameter: 'Accept Header'");
  const grantType = params.get('grant_type');
  if (grantType === null) return ssoError(res, scope, 'invalid_request', "Missing parameter: 'grant_type'");
  if (grantType !== 'password') return ssoError(res, scope, 'unsupported_grant_type', `The provided authorization grant type is not supported: ${grantType}.`);
  if (scope === null || scope.trim() === '') return ssoError(res, scope, 'invalid_request', "Missing parameter: 'scope'");
  if (!scope.split(/\s+/).some((p) => p.startsWith('ovirt-app-'))) return ssoError(res, scope, 'invalid_scope', `The requested scope '${scope}' is invalid.`);
  const username = params.get('username');
  const password = params.get('password');
  if (username === null) return ssoError(res, scope, 'invalid_request', "Missing parameter: 'username'");
  if (password === null) return ssoError(res, scope, 'invalid_request', "Missing parameter: 'password'");
  const problem = credentialProblem(ctx, username, password);
  if (problem) return ssoError(res, scope, 'access_denied', `Cannot authenticate user '${username}': ${problem}.`);

  const token = randomBytes(64).toString('base64url');
  publishSecret('access-token', token);
  ctx.state.tokens.set(token, { token, user: username, lastUsed: ctx.now() });
  // The engine's clock, as its Date header shows it (SsoSession.validTo).
  const lifetime = ctx.faults.tokenLifetimeMs;
  sendJson(res, 200, { access_token: token, token_type: 'bearer', scope, exp: lifetime === null ? NO_EXPIRY : String(Date.now() + lifetime) });
}

/** POST /ovirt-engine/services/sso-logout (form `scope`, `token`) → `{}`. */
export async function handleLogout(ctx: EngineContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const params = await requestParams(req, url);
  const token = params.get('token');
  if (token === null) return sendJson(res, 400, { error: 'invalid_request', error_description: "Missing parameter: 'token'" });
  ctx.state.tokens.delete(token);
  sendJson(res, 200, {});
}

/** Applies the expireTokens fault: drop every session once. */
function applyTokenFault(ctx: EngineContext): void {
  if (!ctx.faults.expireTokens) return;
  ctx.state.tokens.clear();
  ctx.faults.expireTokens = false;
}

/** The session of a request (Bearer token, or Basic credentials per request), or null. */
export function authenticate(ctx: EngineContext, req: IncomingMessage): TokenRecord | null {
  applyTokenFault(ctx);
  const header = req.headers.authorization ?? '';
  const [scheme, value] = [header.slice(0, header.indexOf(' ')).toLowerCase(), header.slice(header.indexOf(' ') + 1).trim()];
  const now = ctx.now();
  if (scheme === 'bearer') {
    const record = ctx.state.tokens.get(value);
    if (!record) return null;
    if (now - record.lastUsed > SESSION_IDLE_MS) {
      ctx.state.tokens.delete(value);
      return null;
    }
    record.lastUsed = now;
    return record;
  }
  if (scheme === 'basic') {
    // Deprecated since 4.0: every Basic request logs in and (without persistent-auth) out again.
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const user = decoded.slice(0, colon);
    if (credentialProblem(ctx, user, decoded.slice(colon + 1)) !== null) return null;
    return { token: '', user, lastUsed: now };
  }
  return null;
}

/** EnforceAuthFilter's answer: 401, a Basic challenge and a servlet error page (not JSON). */
export function sendUnauthorized(res: ServerResponse): void {
  sendText(
    res,
    401,
    'text/html;charset=utf-8',
    '<html><head><title>Error</title></head><body>Unauthorized</body></html>',
    { 'www-authenticate': 'Basic realm="RESTAPI"' },
  );
}
