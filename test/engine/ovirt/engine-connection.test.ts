/**
 * Hostile or broken answers the simulator cannot produce (redirects, oversized or non-JSON bodies, a
 * 401 that survives a fresh login), through undici's MockAgent.
 */
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineConnection } from '../../../main/engine/ovirt/engine-connection.js';
import { createLog } from '../../../main/engine/log.js';

const ORIGIN = 'https://engine.test';
const TOKEN = 'tok-abcdefghijklmnop';
const JSON_HEADERS = { 'content-type': 'application/json' };

let agent: MockAgent;
let logLines: string[];
beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  logLines = [];
});
afterEach(async () => {
  await agent.close();
});

function connection(options: { maxBodyBytes?: number; now?: () => number } = {}): EngineConnection {
  return new EngineConnection({
    engineUrl: `${ORIGIN}/ovirt-engine`,
    username: 'admin@internal',
    password: () => 'pw-secret-value',
    trust: { caPem: [] },
    log: createLog({ level: 'debug', write: (l) => logLines.push(l) }),
    dispatcher: agent,
    ...options,
  });
}

function allowLogin(times = 1, exp = '9223372036854775807'): void {
  agent
    .get(ORIGIN)
    .intercept({ path: '/ovirt-engine/sso/oauth/token', method: 'POST' })
    .reply(200, { access_token: TOKEN, token_type: 'bearer', scope: 'ovirt-app-api', exp }, { headers: JSON_HEADERS })
    .times(times);
}

describe('EngineConnection against hostile answers', () => {
  it('does not follow a redirect and does not send the token to its target', async () => {
    allowLogin();
    agent
      .get(ORIGIN)
      .intercept({ path: '/ovirt-engine/api/disks', method: 'GET' })
      .reply(302, '', { headers: { location: 'https://evil.test/steal' } });
    const evil = agent.get('https://evil.test');
    let evilHit = false;
    evil
      .intercept({ path: '/steal', method: 'GET' })
      .reply(() => {
        evilHit = true;
        return { statusCode: 200, data: '{}' };
      })
      .persist();
    const err = await connection().call({ method: 'GET', path: '/disks', what: 'Listing the disks' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'protocol', status: 302 });
    expect(evilHit).toBe(false);
  });

  it('refuses an answer larger than the limit', async () => {
    allowLogin();
    agent
      .get(ORIGIN)
      .intercept({ path: '/ovirt-engine/api/disks', method: 'GET' })
      .reply(200, JSON.stringify({ disk: [{ id: 'x'.repeat(4096) }] }), { headers: JSON_HEADERS });
    await expect(connection({ maxBodyBytes: 1024 }).call({ method: 'GET', path: '/disks', what: 'Listing the disks' })).rejects.toMatchObject({ code: 'protocol' });
  });

  it('refuses a 200 that is an HTML page', async () => {
    allowLogin();
    agent
      .get(ORIGIN)
      .intercept({ path: '/ovirt-engine/api', method: 'GET' })
      .reply(200, '<html><body>Welcome to the portal</body></html>', { headers: { 'content-type': 'text/html' } });
    const err = await connection().call({ method: 'GET', path: '', what: 'Reading the engine version' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'protocol' });
    expect((err as Error).message).toContain('text/html');
  });

  it('refuses an SSO answer that is not JSON', async () => {
    agent.get(ORIGIN).intercept({ path: '/ovirt-engine/sso/oauth/token', method: 'POST' }).reply(200, 'not json at all');
    await expect(connection().login()).rejects.toMatchObject({ code: 'protocol' });
  });

  it('gives session-expired when a fresh login still gets 401, after exactly one re-login', async () => {
    allowLogin(2);
    agent
      .get(ORIGIN)
      .intercept({ path: '/ovirt-engine/api/disks', method: 'GET' })
      .reply(401, '<html>Unauthorized</html>', { headers: { 'www-authenticate': 'Basic realm="RESTAPI"' } })
      .times(2);
    const conn = connection();
    const err = await conn.call({ method: 'GET', path: '/disks', what: 'Listing the disks' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'session-expired', retryable: false });
    expect(() => agent.assertNoPendingInterceptors()).not.toThrow();
    expect(logLines.join('\n')).not.toContain(TOKEN);
    expect(logLines.join('\n')).not.toContain('pw-secret-value');
  });

  it('logs in again before a request when the token is about to expire', async () => {
    let now = 1_000_000;
    allowLogin(2, String(now + 60_000));
    agent.get(ORIGIN).intercept({ path: '/ovirt-engine/api/disks', method: 'GET' }).reply(200, {}, { headers: JSON_HEADERS }).times(2);
    const conn = connection({ now: () => now });
    await conn.call({ method: 'GET', path: '/disks', what: 'Listing the disks' });
    now += 45_000; // inside the 30 s safety margin before exp
    await conn.call({ method: 'GET', path: '/disks', what: 'Listing the disks' });
    expect(() => agent.assertNoPendingInterceptors()).not.toThrow();
  });

  it('returns null for a 404 only when the caller allows it', async () => {
    allowLogin();
    agent.get(ORIGIN).intercept({ path: '/ovirt-engine/api/disks/x', method: 'GET' }).reply(404, '').times(2);
    const conn = connection();
    expect(await conn.call({ method: 'GET', path: '/disks/x', what: 'Reading disk x', allow404: true })).toBeNull();
    await expect(conn.call({ method: 'GET', path: '/disks/x', what: 'Reading disk x' })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('stops with cancelled when the signal aborts', async () => {
    allowLogin();
    agent.get(ORIGIN).intercept({ path: '/ovirt-engine/api/disks', method: 'GET' }).reply(200, {}, { headers: JSON_HEADERS }).delay(5_000);
    const ac = new AbortController();
    const p = connection().call({ method: 'GET', path: '/disks', what: 'Listing the disks', signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
  });
});
