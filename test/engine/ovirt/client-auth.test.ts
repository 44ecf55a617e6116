import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvirtClient } from '../../../main/engine/ovirt/client.js';
import { localExpiry } from '../../../main/engine/ovirt/sso.js';
import { silentLog } from '../../../main/engine/log.js';
import { createPki } from '../../../main/simulator/pki.js';
import { startSimulator, type Simulator } from '../../../main/simulator/simulator.js';
import { instantTimers, simClient } from './sim-helpers.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ engineVersion: '4.5', fast: true });
});
afterAll(async () => {
  await sim?.close();
});

describe('OvirtClient login', () => {
  it('sends the SSO request with exactly Accept: application/json and a form body', async () => {
    const t = simClient(sim);
    try {
      await t.client.login();
      const sso = t.seen.find((r) => r.path.endsWith('/sso/oauth/token'));
      expect(sso?.method).toBe('POST');
      expect(sso?.headers['accept']).toBe('application/json');
      expect(sso?.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const form = new URLSearchParams(sso?.body ?? '');
      expect(form.get('grant_type')).toBe('password');
      expect(form.get('scope')).toBe('ovirt-app-api');
      expect(form.get('username')).toBe(sim.username);
    } finally {
      await t.close();
    }
  });

  it('sends Accept, Version: 4 and the Bearer token on API calls', async () => {
    const t = simClient(sim);
    try {
      await t.client.version();
      const api = t.seen.find((r) => r.path === '/ovirt-engine/api');
      expect(api?.headers).toMatchObject({ accept: 'application/json', version: '4' });
      expect(api?.headers['authorization']).toMatch(/^Bearer \S+$/);
    } finally {
      await t.close();
    }
  });

  it('reports a wrong password as auth-failed with the engine message and never the password', async () => {
    const wrong = 'Wr0ng-Passw0rd-xyz';
    const t = simClient(sim, { password: () => wrong });
    try {
      const err = await t.client.login().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'auth-failed', retryable: false });
      expect((err as Error).message).toContain('Cannot authenticate user');
      expect((err as Error).message).not.toContain(wrong);
      expect(t.logLines.join('\n')).not.toContain(wrong);
    } finally {
      await t.close();
    }
  });

  it('logs in again once and repeats the request when the token expired', async () => {
    const t = simClient(sim);
    try {
      await t.client.login();
      sim.faults.expireTokens = true;
      const disks = await t.client.disks();
      expect(disks.length).toBeGreaterThan(0);
      expect(t.seen.filter((r) => r.path.endsWith('/sso/oauth/token'))).toHaveLength(2);
      expect(t.seen.filter((r) => r.path === '/ovirt-engine/api/disks')).toHaveLength(2);
    } finally {
      await t.close();
    }
  });

  it('shares one re-login between concurrent requests that hit a 401', async () => {
    const t = simClient(sim);
    try {
      await t.client.login();
      sim.faults.expireTokens = true;
      await Promise.all([t.client.disks(), t.client.storageDomains(), t.client.disk('00000000-0000-0000-0000-000000000000')]);
      expect(t.seen.filter((r) => r.path.endsWith('/sso/oauth/token'))).toHaveLength(2);
    } finally {
      await t.close();
    }
  });

  it('logout ends the engine session and keeps the token out of the logs', async () => {
    const t = simClient(sim);
    try {
      await t.client.login();
      const [token] = t.client.secrets();
      expect(token).toBeTruthy();
      await t.client.logout();
      expect(t.client.secrets()).toEqual([]);
      const logout = t.seen.find((r) => r.path.endsWith('/services/sso-logout'));
      expect(new URLSearchParams(logout?.body ?? '').get('token')).toBe(token);
      expect(t.logLines.join('\n')).not.toContain(token!);
      // The next call needs (and does) a new login.
      await t.client.version();
      expect(t.seen.filter((r) => r.path.endsWith('/sso/oauth/token'))).toHaveLength(2);
    } finally {
      await t.close();
    }
  });
});

describe('OvirtClient with its own dispatcher', () => {
  it('trusts exactly the given CA, and works again after logout closed its connections', async () => {
    const client = new OvirtClient({ engineUrl: sim.engineUrl, username: sim.username, password: () => sim.password, trust: { caPem: [sim.caPem] }, log: silentLog });
    try {
      expect((await client.version()).major).toBe(4);
      await client.logout();
      expect((await client.storageDomains()).length).toBeGreaterThan(0);
    } finally {
      await client.logout();
    }
  });
});

describe('OvirtClient version detection', () => {
  for (const v of ['4.1', '4.3', '4.5'] as const) {
    it(`reads engine ${v} from product_info and asks only once`, async () => {
      const s = v === '4.5' ? sim : await startSimulator({ engineVersion: v, fast: true });
      const t = simClient(s);
      try {
        const [a, b] = [await t.client.version(), await t.client.version()];
        expect(`${a.major}.${a.minor}`).toBe(v);
        expect(b).toBe(a);
        expect(t.seen.filter((r) => r.path === '/ovirt-engine/api')).toHaveLength(1);
      } finally {
        await t.close();
        if (s !== sim) await s.close();
      }
    });
  }
});

describe('OvirtClient trust and failures', () => {
  it('refuses an engine whose certificate is not signed by the trusted CA (tls-untrusted)', async () => {
    const other = await createPki('Some Other CA');
    const client = new OvirtClient({ engineUrl: sim.engineUrl, username: sim.username, password: () => sim.password, trust: { caPem: [other.caPem] }, log: silentLog });
    try {
      const err = await client.login().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'tls-untrusted', retryable: false });
      expect((err as Error).message).toMatch(/CA/);
      expect((err as Error).message).not.toContain(sim.password);
    } finally {
      await client.close();
    }
  });

  it('retries a GET after 5xx with growing delays, then gives up with a retryable server-error', async () => {
    const delays: number[] = [];
    const t = simClient(sim, { timers: instantTimers(delays), random: () => 1, retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 } });
    try {
      await t.client.login();
      sim.faults.engineUnavailable = true;
      const err = await t.client.disks().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'server-error', retryable: true, status: 503 });
      expect(t.seen.filter((r) => r.path === '/ovirt-engine/api/disks')).toHaveLength(3);
      expect(delays).toEqual([100, 200]);
    } finally {
      sim.faults.engineUnavailable = false;
      await t.close();
    }
  });

  it('recovers when the engine comes back during the retries', async () => {
    const delays: number[] = [];
    const timers = instantTimers(delays);
    const t = simClient(sim, {
      timers: { ...timers, setTimeout: (fn, ms) => timers.setTimeout(() => ((sim.faults.engineUnavailable = false), fn()), ms) },
    });
    try {
      await t.client.login();
      sim.faults.engineUnavailable = true;
      expect((await t.client.disks()).length).toBeGreaterThan(0);
      expect(delays).toHaveLength(1);
    } finally {
      sim.faults.engineUnavailable = false;
      await t.close();
    }
  });

  it('does not repeat a POST after a 5xx', async () => {
    const t = simClient(sim, { timers: instantTimers([]) });
    try {
      await t.client.version();
      sim.faults.engineUnavailable = true;
      const err = await t.client
        .createDisk({ name: 'never', provisionedSize: 1 << 30, format: 'raw', sparse: true, storageDomain: { name: 'data-nfs' } })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'server-error' });
      expect(t.seen.filter((r) => r.method === 'POST' && r.path === '/ovirt-engine/api/disks')).toHaveLength(1);
    } finally {
      sim.faults.engineUnavailable = false;
      await t.close();
    }
  });

  it('maps a closed port to a retryable network error', async () => {
    const client = new OvirtClient({
      engineUrl: 'https://127.0.0.1:1/ovirt-engine',
      username: 'admin@internal',
      password: () => 'x',
      trust: { caPem: [sim.caPem] },
      log: silentLog,
    });
    try {
      await expect(client.login()).rejects.toMatchObject({ code: 'network', retryable: true });
    } finally {
      await client.close();
    }
  });
});

describe('OvirtClient and the token expiry on another clock', () => {
  const ssoPosts = (t: ReturnType<typeof simClient>) => t.seen.filter((r) => r.method === 'POST' && r.path.endsWith('/sso/oauth/token')).length;

  it.each([
    ['an hour ahead', 3_600_000],
    ['an hour behind', -3_600_000],
  ])('logs in once with a local clock %s of the engine (exp is carried over by the Date header)', async (_name, skewMs) => {
    sim.faults.tokenLifetimeMs = 10 * 60_000;
    const t = simClient(sim, { now: () => Date.now() + skewMs });
    try {
      for (let i = 0; i < 3; i++) await t.client.storageDomains();
      expect(ssoPosts(t)).toBe(1);
    } finally {
      sim.faults.tokenLifetimeMs = null;
      await t.close();
    }
  });

  it('logs in again shortly before the token expires', async () => {
    sim.faults.tokenLifetimeMs = 20_000; // inside the 30 s margin: every call needs a new token
    const t = simClient(sim);
    try {
      for (let i = 0; i < 2; i++) await t.client.storageDomains();
      const apiCalls = t.seen.filter((r) => r.method === 'GET' && r.path.includes('/api')).length;
      expect(apiCalls).toBeGreaterThanOrEqual(2);
      expect(ssoPosts(t)).toBe(apiCalls);
    } finally {
      sim.faults.tokenLifetimeMs = null;
      await t.close();
    }
  });
});

describe('localExpiry', () => {
  it('moves exp to the local clock by the Date header, ignores an exp already past without one', () => {
    const date = 'Fri, 27 Nov 2026 10:00:00 GMT';
    const server = BigInt(Date.parse(date));
    expect(localExpiry(server + 600_000n, date, 5_000)).toBe(605_000n);
    expect(localExpiry(null, date, 5_000)).toBeNull();
    expect(localExpiry(10_000n, undefined, 5_000)).toBe(10_000n);
    expect(localExpiry(4_000n, undefined, 5_000)).toBeNull();
    expect(localExpiry(4_000n, 'not a date', 5_000)).toBeNull();
  });
});
