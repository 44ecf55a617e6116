import { MockAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchEngineCa, parseCaPem } from '../../../main/engine/trust/engine-ca.js';
import { createPki } from '../../../main/simulator/pki.js';
import { startSimulator, type Simulator } from '../../../main/simulator/simulator.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ engineVersion: '4.5', fast: true });
});
afterAll(async () => {
  await sim?.close();
});

describe('fetchEngineCa against the simulator', () => {
  it("downloads the engine CA without trusting it first, with the simulator CA's fingerprint", async () => {
    const ca = await fetchEngineCa(sim.engineUrl);
    expect(ca.fingerprint).toBe(sim.caFingerprint);
    expect(ca.pem.trim()).toBe(sim.caPem.trim());
    expect(ca.subject).toContain('CN=DiskFerry Simulator Engine CA');
    expect(ca.notAfter).toBeGreaterThan(Date.now());
  });

  it('accepts the address with or without /ovirt-engine', async () => {
    const origin = new URL(sim.engineUrl).origin;
    expect((await fetchEngineCa(origin)).fingerprint).toBe(sim.caFingerprint);
  });
});

describe('fetchEngineCa against broken answers', () => {
  const ORIGIN = 'https://engine.test';
  const PATH = '/ovirt-engine/services/pki-resource?resource=ca-certificate&format=X509-PEM-CA';

  it('refuses an HTML page', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent.get(ORIGIN).intercept({ path: PATH, method: 'GET' }).reply(200, '<html>Login</html>', { headers: { 'content-type': 'text/html' } });
    await expect(fetchEngineCa(ORIGIN, { dispatcher: agent })).rejects.toMatchObject({ code: 'protocol' });
    await agent.close();
  });

  it('does not follow a redirect', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent.get(ORIGIN).intercept({ path: PATH, method: 'GET' }).reply(301, '', { headers: { location: 'https://elsewhere.test/ca.pem' } });
    await expect(fetchEngineCa(ORIGIN, { dispatcher: agent })).rejects.toMatchObject({ code: 'protocol', status: 301 });
    await agent.close();
  });

  it('reports an HTTP error with advice', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent.get(ORIGIN).intercept({ path: PATH, method: 'GET' }).reply(404, 'Not Found');
    const err = await fetchEngineCa(ORIGIN, { dispatcher: agent }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'protocol', status: 404 });
    expect((err as Error).message).toMatch(/import the CA file/);
    await agent.close();
  });
});

describe('parseCaPem', () => {
  it('refuses a certificate that is not a CA', async () => {
    const pki = await createPki('Test CA');
    const leaf = await pki.issue({ dns: ['engine.test'] });
    expect(() => parseCaPem(leaf.cert, 'engine.test')).toThrow(/not a CA certificate/);
    expect(parseCaPem(pki.caPem, 'engine.test').fingerprint).toBe(pki.caFingerprint);
  });

  it('refuses a broken PEM block', () => {
    const bad = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    expect(() => parseCaPem(bad, 'engine.test')).toThrow(expect.objectContaining({ code: 'protocol' }));
  });
});
