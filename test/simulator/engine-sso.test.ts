import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, type Harness } from './engine-harness.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ version: '4.5' });
});
afterAll(async () => h.close());

function login(fields: Record<string, string>, accept: string | null = 'application/json') {
  return h.fetch('POST', '/ovirt-engine/sso/oauth/token', {
    headers: { ...FORM, ...(accept === null ? {} : { accept }) },
    body: form(fields),
  });
}

const good = () => ({ grant_type: 'password', scope: 'ovirt-app-api', username: h.username, password: h.password });

describe('SSO token', () => {
  test('a password grant returns exactly four keys, exp a string of epoch ms', async () => {
    const res = await login(good());
    expect(res.status).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['access_token', 'exp', 'scope', 'token_type']);
    expect(body['token_type']).toBe('bearer');
    expect(body['scope']).toBe('ovirt-app-api');
    expect(typeof body['exp']).toBe('string');
    expect(BigInt(body['exp'] as string)).toBe(2n ** 63n - 1n);
  });

  test('query-string parameters count like form fields', async () => {
    const res = await h.fetch('POST', `/ovirt-engine/sso/oauth/token?${form(good())}`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
  });

  test.each([['application/json, */*'], ['*/*'], [null]])('Accept %s is refused with 400 invalid_request', async (accept) => {
    const res = await login(good(), accept);
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ error_code: 'invalid_request', error: "Missing parameter: 'Accept Header'" });
  });

  test('bad credentials: 400 access_denied in the API-scope shape {error_code, error}', async () => {
    const res = await login({ ...good(), password: 'wrong' });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({
      error_code: 'access_denied',
      error: "Cannot authenticate user 'admin@internal': The username or password is incorrect..",
    });
  });

  test('with another scope the error shape is {error, error_description}', async () => {
    const res = await login({ ...good(), scope: 'ovirt-app-admin ovirt-app-api', password: 'wrong' });
    expect(res.status).toBe(400);
    const body = res.json();
    expect(body['error']).toBe('access_denied');
    expect(String(body['error_description'])).toContain('incorrect');
    expect(body['error_code']).toBeUndefined();
  });

  test('an unknown profile, a wrong grant type and a missing field are refused', async () => {
    expect((await login({ ...good(), username: 'admin@nowhere' })).json()['error_code']).toBe('access_denied');
    expect((await login({ ...good(), grant_type: 'client_credentials' })).json()['error_code']).toBe('unsupported_grant_type');
    const { password: _p, ...noPassword } = good();
    expect((await login(noPassword)).json()['error_code']).toBe('invalid_request');
  });
});

describe('REST authentication', () => {
  test('a missing or unknown token gets 401, a Basic challenge and a non-JSON body', async () => {
    const variants: Array<Record<string, string>> = [{ accept: 'application/json' }, { accept: 'application/json', authorization: 'Bearer nope' }];
    for (const headers of variants) {
      const res = await h.fetch('GET', '/ovirt-engine/api', { headers });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="RESTAPI"');
      expect(String(res.headers['content-type'])).toContain('text/html');
      expect(() => JSON.parse(res.text)).toThrow();
    }
  });

  test('the session idles out after 30 minutes without REST calls', async () => {
    const token = (await login(good())).json()['access_token'] as string;
    const call = () => h.fetch('GET', '/ovirt-engine/api', { headers: { accept: 'application/json', authorization: `Bearer ${token}` } });
    h.clock.now += 29 * 60 * 1000;
    expect((await call()).status).toBe(200); // activity resets the idle clock
    h.clock.now += 29 * 60 * 1000;
    expect((await call()).status).toBe(200);
    h.clock.now += 30 * 60 * 1000 + 1;
    expect((await call()).status).toBe(401);
  });

  test('the expireTokens fault invalidates every token once, then resets itself', async () => {
    const token = (await login(good())).json()['access_token'] as string;
    h.faults.expireTokens = true;
    const res = await h.fetch('GET', '/ovirt-engine/api', { headers: { accept: 'application/json', authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(h.faults.expireTokens).toBe(false);
    const fresh = (await login(good())).json()['access_token'] as string;
    expect((await h.fetch('GET', '/ovirt-engine/api', { headers: { accept: 'application/json', authorization: `Bearer ${fresh}` } })).status).toBe(200);
  });

  test('logout answers {} and ends the session', async () => {
    const token = (await login(good())).json()['access_token'] as string;
    const res = await h.fetch('POST', '/ovirt-engine/services/sso-logout', { headers: FORM, body: form({ scope: 'ovirt-app-api', token }) });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({});
    expect((await h.fetch('GET', '/ovirt-engine/api', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  test('deprecated Basic auth works per request', async () => {
    const basic = Buffer.from(`${h.username}:${h.password}`).toString('base64');
    expect((await h.fetch('GET', '/ovirt-engine/api', { headers: { authorization: `Basic ${basic}` } })).status).toBe(200);
    const wrong = Buffer.from(`${h.username}:x`).toString('base64');
    expect((await h.fetch('GET', '/ovirt-engine/api', { headers: { authorization: `Basic ${wrong}` } })).status).toBe(401);
  });
});

describe('pki-resource', () => {
  test('serves the engine CA without auth', async () => {
    const res = await h.fetch('GET', '/ovirt-engine/services/pki-resource?resource=ca-certificate&format=X509-PEM-CA');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-x509-ca-cert');
    expect(res.text).toBe(h.pki.caPem);
  });

  test.each([['resource=nope&format=X509-PEM-CA'], ['resource=ca-certificate&format=DER'], ['']])('400 for %s', async (q) => {
    expect((await h.fetch('GET', `/ovirt-engine/services/pki-resource?${q}`)).status).toBe(400);
  });
});

describe('engineUnavailable fault', () => {
  test('every REST request gets 503 with HTML; the admin endpoint still works', async () => {
    await h.token();
    h.faults.engineUnavailable = true;
    try {
      const api = await h.api('GET', '');
      expect(api.status).toBe(503);
      expect(String(api.headers['content-type'])).toContain('text/html');
      expect((await login(good())).status).toBe(503);
      const off = await h.fetch('PUT', '/ovirt-engine/__simulator/faults', { body: JSON.stringify({ engineUnavailable: false }) });
      expect(off.status).toBe(200);
    } finally {
      h.faults.engineUnavailable = false;
    }
    expect((await h.api('GET', '')).status).toBe(200);
  });
});

describe('engineLatencyMs fault', () => {
  test('delays every REST answer by the latency; the admin endpoint answers at once', async () => {
    await h.token();
    h.faults.engineLatencyMs = 1000;
    try {
      let t = performance.now();
      expect((await h.api('GET', '')).status).toBe(200);
      expect(performance.now() - t).toBeGreaterThanOrEqual(990);
      t = performance.now();
      expect((await h.fetch('GET', '/ovirt-engine/__simulator/faults')).status).toBe(200);
      expect(performance.now() - t).toBeLessThan(990);
    } finally {
      h.faults.engineLatencyMs = 0;
    }
  });
});

describe('admin endpoint', () => {
  test('GET/PUT faults applies a JSON patch; unknown names get 400', async () => {
    const put = await h.fetch('PUT', '/ovirt-engine/__simulator/faults', { body: JSON.stringify({ failNthPut: 3, pausedSystemAtStart: 'true' }) });
    expect(put.status).toBe(200);
    expect(h.faults.failNthPut).toBe(3);
    expect(h.faults.pausedSystemAtStart).toBe(true);
    const got = (await h.fetch('GET', '/ovirt-engine/__simulator/faults')).json();
    expect(got['failNthPut']).toBe(3);
    expect((await h.fetch('PUT', '/ovirt-engine/__simulator/faults', { body: '{"nope":1}' })).status).toBe(400);
    Object.assign(h.faults, { failNthPut: null, pausedSystemAtStart: false });
  });

  test('GET state summarises disks and transfers', async () => {
    const state = (await h.fetch('GET', '/ovirt-engine/__simulator/state')).json();
    expect(state['version']).toBe('4.5');
    expect(Array.isArray(state['disks'])).toBe(true);
    expect(Array.isArray(state['transfers'])).toBe(true);
  });
});
