/**
 * A whole transfer over IPv6 against every engine generation: the simulator listens on ::1, the
 * engine URL and the data server URLs are `https://[::1]:PORT/…`, the certificates are checked
 * against their ::1 IP name, and an upload and a download come through byte for byte.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLog } from '../../main/engine/log.js';
import { OvirtClient } from '../../main/engine/ovirt/client.js';
import { realTimers } from '../../main/engine/timers.js';
import type { TransferDeps } from '../../main/engine/transfer/deps.js';
import { downloadDisk } from '../../main/engine/transfer/download-disk.js';
import { uploadImage } from '../../main/engine/transfer/upload-image.js';
import { startSimulator, type Simulator } from '../../main/simulator/simulator.js';
import { startConnectProxy } from '../helpers/connect-proxy.js';
import { expectDiskEqualsFile, expectFileEqualsDisk, makeSparseImage, SMALL_RUNS, SMALL_SIZE, TUNING, VERSIONS } from './helpers.js';

/** Whether this machine can listen on ::1 (containers without IPv6 cannot). */
async function hasIpv6Loopback(): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => server.close(() => resolve(true)));
  });
}

const ipv6 = await hasIpv6Loopback();

describe.runIf(!ipv6)('over IPv6 (::1)', () => {
  it.skip('skipped: this machine cannot listen on ::1 (no IPv6 loopback), so no IPv6 transfer runs here', () => {});
});

describe.skipIf(!ipv6).each(VERSIONS)('over IPv6 (::1), engine %s', (version) => {
  let sim: Simulator;
  let dir: string;
  let deps: TransferDeps;
  beforeAll(async () => {
    sim = await startSimulator({ engineVersion: version, fast: true, host: '::1' });
    dir = await mkdtemp(join(tmpdir(), `diskferry-ipv6-${version}-`));
    const trust = { caPem: [sim.caPem] };
    const log = createLog({ level: 'warn', write: () => {} });
    const client = new OvirtClient({ engineUrl: sim.engineUrl, username: sim.username, password: () => sim.password, trust, log, pollIntervalMs: 20 });
    await client.login();
    deps = { client, trust, log, timers: realTimers, now: Date.now };
  });
  afterAll(async () => {
    await deps?.client.logout();
    await sim?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the engine and its data servers are addressed as [::1]', () => {
    expect(sim.engineUrl).toMatch(/^https:\/\/\[::1\]:\d+\/ovirt-engine$/);
    expect(sim.daemon.imageUrl('t')).toMatch(/^https:\/\/\[::1\]:\d+\/images\/t$/);
  });

  it('a certificate from another CA is explained with what the server at [::1] presents', async () => {
    const { createPki } = await import('../../main/simulator/pki.js');
    const other = await createPki('Another CA');
    const log = createLog({ level: 'warn', write: () => {} });
    const client = new OvirtClient({ engineUrl: sim.engineUrl, username: sim.username, password: () => sim.password, trust: { caPem: [other.caPem] }, log });
    const err = await client.login().then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain(`The server at [::1]:${new URL(sim.engineUrl).port} presents a certificate that the trusted CA did not sign`);
    expect(err?.message).toContain(`Trusted CA: ${other.caFingerprint}`);
  });

  it('uploads and downloads a whole image', async () => {
    const src = join(dir, 'v6.raw');
    await makeSparseImage(src, SMALL_SIZE, SMALL_RUNS);
    const up = await uploadImage(deps, { path: src, storageDomain: 'data-nfs', diskName: 'over-ipv6' }, { tuning: TUNING });
    await expectDiskEqualsFile(sim, up.diskId, src);
    const out = join(dir, 'down');
    await mkdir(out);
    const down = await downloadDisk(deps, { disk: up.diskId, output: { dir: out } }, { tuning: TUNING });
    await expectFileEqualsDisk(sim, up.diskId, down.path);
    expect(down.bytesOnWire).toBeGreaterThan(0);
  });
});

describe.skipIf(!ipv6)('over IPv6 through a proxy', () => {
  it('tunnels to [::1]:PORT, on a proxy listening on ::1', async () => {
    const sim = await startSimulator({ engineVersion: '4.5', fast: true, host: '::1' });
    const proxy = await startConnectProxy({ host: '::1' });
    const dir = await mkdtemp(join(tmpdir(), 'diskferry-ipv6-proxy-'));
    try {
      const trust = { caPem: [sim.caPem] };
      const log = createLog({ level: 'warn', write: () => {} });
      const client = new OvirtClient({ engineUrl: sim.engineUrl, username: sim.username, password: () => sim.password, trust, log, pollIntervalMs: 20, proxy: () => new URL(proxy.url) });
      await client.login();
      const down = await downloadDisk({ client, trust, log, timers: realTimers, now: Date.now }, { disk: 'web-01-disk1', output: { dir } }, { tuning: TUNING });
      await client.logout();
      expect(down.virtualSize).toBeGreaterThan(0);
      expect(proxy.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
      expect(proxy.tunnels.map((t) => t.target)).toContain(`[::1]:${new URL(sim.engineUrl).port}`);
      expect(proxy.tunnels.map((t) => t.target)).toContain(`[::1]:${sim.daemon.port}`);
    } finally {
      await proxy.close();
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
