import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvirtClient } from '../../../main/engine/ovirt/client.js';
import { DiskFerryError } from '../../../main/engine/errors.js';
import { silentLog } from '../../../main/engine/log.js';
import { inspectPeerCertificate } from '../../../main/engine/trust/peer-certificate.js';
import { startSimulator, type Simulator } from '../../../main/simulator/simulator.js';
import { createPki } from '../../../main/simulator/pki.js';

describe('a server certificate the trusted CA did not sign', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ fast: true, seed: false });
  });
  afterAll(async () => sim?.close());

  it('reads what the server presents without sending anything', async () => {
    const presented = await inspectPeerCertificate(sim.engineUrl);
    expect(presented.issuer).toMatch(/DiskFerry Simulator Engine CA/);
    expect(presented.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('stops the login and names the trusted CA and the certificate the server shows now', async () => {
    const other = await createPki('Some Other CA');
    const client = new OvirtClient({ engineUrl: sim.engineUrl, username: sim.username, password: () => sim.password, trust: { caPem: [other.caPem] }, log: silentLog });
    const err = await client.login().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiskFerryError);
    const e = err as DiskFerryError;
    expect(e.code).toBe('tls-untrusted');
    const presented = await inspectPeerCertificate(sim.engineUrl);
    expect(e.message).toContain(other.caFingerprint);
    expect(e.message).toContain(presented.fingerprint);
    expect(e.message).toMatch(/issued by .*DiskFerry Simulator Engine CA/);
    expect(e.message).not.toContain(sim.password);
    await client.close();
  });

  it('logs in when the CA is the right one', async () => {
    const client = new OvirtClient({ engineUrl: sim.engineUrl, username: sim.username, password: () => sim.password, trust: { caPem: [sim.caPem] }, log: silentLog });
    await client.login();
    await client.logout();
  });
});
