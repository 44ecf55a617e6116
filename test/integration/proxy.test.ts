/**
 * Transfers through an HTTP proxy (CONNECT) against every engine generation: the engine REST calls
 * and the imageio data plane both go through a real proxy on 127.0.0.1, which counts its tunnels;
 * NO_PROXY sends them direct; a refusing proxy gives an error that names it (never its password);
 * the engine CA and the host name are still checked inside the tunnel.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../main/engine/errors.js';
import { createLog } from '../../main/engine/log.js';
import { envProxyResolver, type ProxyResolver } from '../../main/engine/net/proxy.js';
import { OvirtClient } from '../../main/engine/ovirt/client.js';
import { realTimers } from '../../main/engine/timers.js';
import type { TransferDeps } from '../../main/engine/transfer/deps.js';
import { downloadDisk } from '../../main/engine/transfer/download-disk.js';
import { uploadImage } from '../../main/engine/transfer/upload-image.js';
import { createPki } from '../../main/simulator/pki.js';
import { startSimulator, type Simulator } from '../../main/simulator/simulator.js';
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy.js';
import { expectDiskEqualsFile, expectFileEqualsDisk, makeSparseImage, SMALL_RUNS, SMALL_SIZE, TUNING, VERSIONS } from './helpers.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const portOf = (url: string) => new URL(url).port;

/** A logged-in client of `sim` through `proxy`, and the deps of its transfers. */
async function depsVia(sim: Simulator, proxy: ProxyResolver, engineUrl = sim.engineUrl, caPem = sim.caPem): Promise<{ deps: TransferDeps; logLines: string[] }> {
  const logLines: string[] = [];
  const log = createLog({ level: 'debug', write: (l) => logLines.push(l) });
  const trust = { caPem: [caPem] };
  const client = new OvirtClient({ engineUrl, username: sim.username, password: () => sim.password, trust, log, pollIntervalMs: 20, proxy });
  await client.login();
  return { deps: { client, trust, log, timers: realTimers, now: Date.now }, logLines };
}

async function loginError(sim: Simulator, proxy: ProxyResolver, engineUrl = sim.engineUrl, caPem = sim.caPem): Promise<DiskFerryError> {
  const err = await depsVia(sim, proxy, engineUrl, caPem).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DiskFerryError);
  return err as DiskFerryError;
}

describe.each(VERSIONS)('through an HTTP proxy, engine %s', (version) => {
  let sim: Simulator;
  let proxy: ConnectProxy;
  let dir: string;
  let src: string;
  beforeAll(async () => {
    sim = await startSimulator({ engineVersion: version, fast: true });
    proxy = await startConnectProxy();
    dir = await mkdtemp(join(tmpdir(), `diskferry-proxy-${version}-`));
    src = join(dir, 'through-proxy.raw');
    await makeSparseImage(src, SMALL_SIZE, SMALL_RUNS);
  });
  afterAll(async () => {
    await proxy?.close();
    await sim?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('uploads and downloads a whole image with every connection tunnelled', async () => {
    const { deps } = await depsVia(sim, envProxyResolver({ HTTPS_PROXY: proxy.url }));
    const before = proxy.bytesDown();
    const up = await uploadImage(deps, { path: src, storageDomain: 'data-nfs', diskName: 'via-proxy' }, { tuning: TUNING });
    await expectDiskEqualsFile(sim, up.diskId, src);
    const out = join(dir, 'down');
    await mkdir(out);
    const down = await downloadDisk(deps, { disk: up.diskId, output: { dir: out } }, { tuning: TUNING });
    await expectFileEqualsDisk(sim, up.diskId, down.path);
    await deps.client.logout();

    const targets = new Set(proxy.tunnels.map((t) => t.target.replace(/^.*:/, '')));
    expect(targets).toContain(portOf(sim.engineUrl));
    // The data went through the proxy: the daemon (4.3, 4.5) or the engine's imageio proxy (4.1).
    expect([...targets].some((p) => p === String(sim.daemon.port) || p === String(sim.proxy.port))).toBe(true);
    expect(proxy.bytesDown() - before).toBeGreaterThan(down.bytesOnWire);
    expect(proxy.tunnels.every((t) => t.opened)).toBe(true);
  });

  it('connects directly to what NO_PROXY lists', async () => {
    const opened = proxy.opened();
    const { deps } = await depsVia(sim, envProxyResolver({ https_proxy: proxy.url, NO_PROXY: 'example.test, 127.0.0.0/8' }));
    const out = join(dir, 'direct');
    await mkdir(out, { recursive: true });
    const down = await downloadDisk(deps, { disk: 'web-01-disk1', output: { dir: out } }, { tuning: TUNING });
    await deps.client.logout();
    expect(down.virtualSize).toBeGreaterThan(0);
    expect(proxy.opened()).toBe(opened);
  });
});

describe('a proxy that refuses, or a server that is not the one trusted', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ engineVersion: '4.5', fast: true });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('407: the error names the proxy and what it wants, never the password in its address', async () => {
    const proxy = await startConnectProxy({ credentials: 'ferry:right-horse' });
    try {
      const url = new URL(proxy.url);
      url.username = 'ferry';
      url.password = 'wrong-horse';
      const err = await loginError(sim, () => url);
      expect(err.code).toBe('network');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain(`through the proxy ${proxy.url}`);
      expect(err.message).toContain('HTTP 407');
      expect(err.message).toContain('user name and password');
      expect(err.message).not.toContain('wrong-horse');
      expect(err.message).not.toContain('ferry');

      url.password = 'right-horse';
      const { deps } = await depsVia(sim, () => url);
      await deps.client.logout();
      expect(proxy.tunnels.at(-1)).toMatchObject({ opened: true, authorization: `Basic ${Buffer.from('ferry:right-horse').toString('base64')}` });
    } finally {
      await proxy.close();
    }
  });

  it('407 is not worth repeating: a GET the engine client would retry after a network error is tried once', async () => {
    const proxy = await startConnectProxy({ credentials: 'ferry:right-horse' });
    try {
      let via: URL | null = null;
      const { deps } = await depsVia(sim, () => via);
      // Logged in directly; the next connection goes through a proxy that wants credentials.
      via = new URL(proxy.url);
      await deps.client.close();
      const err = await deps.client.disks().then(
        () => null,
        (e: unknown) => e as DiskFerryError,
      );
      expect(err?.message).toContain('HTTP 407');
      expect(proxy.tunnels).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('502: the error names the proxy and the server it could not reach; it is worth retrying', async () => {
    const proxy = await startConnectProxy({ refuseWith: 502 });
    try {
      const err = await loginError(sim, () => new URL(proxy.url));
      expect(err.code).toBe('network');
      expect(err.retryable).toBe(true);
      expect(err.message).toContain(`Could not reach 127.0.0.1:${portOf(sim.engineUrl)} through the proxy ${proxy.url}`);
      expect(err.message).toContain('HTTP 502');
    } finally {
      await proxy.close();
    }
  });

  it('a refused data plane fails the transfer with the same message, and ends the engine transfer', async () => {
    const refusing = await startConnectProxy({ refuseWith: 502 });
    const dir = await mkdtemp(join(tmpdir(), 'diskferry-proxy-refused-'));
    try {
      // The engine direct, the data servers through a proxy that cannot reach them.
      const engine = new URL(sim.engineUrl).port;
      const { deps } = await depsVia(sim, (target) => (target.port === engine ? null : new URL(refusing.url)));
      const err = await downloadDisk(deps, { disk: 'web-01-disk1', output: { dir } }, { tuning: TUNING }).then(
        () => null,
        (e: unknown) => e as DiskFerryError,
      );
      await deps.client.logout();
      expect(err?.message).toContain(`through the proxy ${refusing.url}`);
      expect(err?.message).toContain('HTTP 502');
      expect(refusing.tunnels.length).toBeGreaterThan(0);
      expect([...sim.engine.state.transfers.values()].every((t) => t.phase.startsWith('finished'))).toBe(true);
    } finally {
      await refusing.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the engine CA is still pinned inside the tunnel', async () => {
    const proxy = await startConnectProxy();
    try {
      const other = await createPki('Another CA');
      const err = await loginError(sim, () => new URL(proxy.url), sim.engineUrl, other.caPem);
      expect(err.code).toBe('tls-untrusted');
      expect(proxy.opened()).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  });

  it('the host name is still checked inside the tunnel: a certificate for another name is refused', async () => {
    // The proxy resolves the name, so a name the certificate does not carry reaches the simulator.
    const proxy = await startConnectProxy({ route: () => '127.0.0.1' });
    try {
      const engineUrl = `https://engine.other.test:${portOf(sim.engineUrl)}/ovirt-engine`;
      const err = await loginError(sim, () => new URL(proxy.url), engineUrl);
      expect(err.code).toBe('tls-untrusted');
      expect(err.message).toContain('another name');
      expect(proxy.tunnels.map((t) => t.target)).toContain(`engine.other.test:${portOf(sim.engineUrl)}`);
    } finally {
      await proxy.close();
    }
  });
});
