/**
 * A scripted oVirt engine for the hostile matrix: SSO login, logout, `GET /api` and the CA download
 * answer correctly, except the one request a case picks, which gets the case's answer.
 */
import type { KeyPair } from '../../main/simulator/pki.js';
import { reply, requestBody, requestLine, startHostileServer, type HostileServer, type RawRequest } from './hostile-servers.js';

/** Which request of the engine answers badly. */
export type EngineTarget = 'sso' | 'api' | 'logout' | 'ca';

/** Writes a hostile answer; `canary` is the canary's origin (for redirects). */
export type EngineAnswer = (req: RawRequest, canary: string) => void;

/** The token the scripted engine hands out (a secret the tests look for where it must not be). */
export const ENGINE_TOKEN = 'tok-canary-4b8d1e6f0a2c';

const JSON_TYPE = { 'content-type': 'application/json' };
const TOKEN_JSON = JSON.stringify({ access_token: ENGINE_TOKEN, token_type: 'bearer', scope: 'ovirt-app-api', exp: '9223372036854775807' });
const VERSION_JSON = JSON.stringify({ product_info: { version: { major: '4', minor: '5', build: '5', revision: '1', full_version: '4.5.5-1.el8' } } });

/** Starts the engine with `tls`, serving `caPem` from pki-resource; `target` (if any) gets `answer`. */
export function startScriptedEngine(
  tls: KeyPair,
  caPem: string,
  canary: string,
  hostile: { target: EngineTarget; answer: EngineAnswer } | null,
): Promise<HostileServer> {
  return startHostileServer(tls, async (req) => {
    const line = requestLine(req);
    await requestBody(req);
    const bad = (t: EngineTarget) => hostile !== null && hostile.target === t;
    const answer = (t: EngineTarget, good: () => void) => (bad(t) ? hostile!.answer(req, canary) : good());
    if (line.startsWith('POST /ovirt-engine/sso/oauth/token ')) return answer('sso', () => reply(req.socket, 200, JSON_TYPE, TOKEN_JSON));
    if (line.startsWith('POST /ovirt-engine/services/sso-logout ')) return answer('logout', () => reply(req.socket, 200, JSON_TYPE, '{}'));
    if (line.startsWith('GET /ovirt-engine/api ')) return answer('api', () => reply(req.socket, 200, JSON_TYPE, VERSION_JSON));
    if (line.startsWith('GET /ovirt-engine/services/pki-resource?')) return answer('ca', () => reply(req.socket, 200, { 'content-type': 'application/x-x509-ca-cert' }, caPem));
    reply(req.socket, 404, {});
  });
}
