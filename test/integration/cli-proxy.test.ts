/**
 * The command line through HTTPS_PROXY: login (the CA download too), an upload and a download go
 * through a real CONNECT proxy, NO_PROXY skips it, and a refusing proxy fails the command with a
 * message that names the proxy but never its password.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy.js';
import { resultEvents, runCli, startCliHarness } from './capture.js';
import { expectDiskEqualsFile, expectFileEqualsDisk, makeSparseImage, SMALL_RUNS, SMALL_SIZE, type Harness } from './helpers.js';

describe('diskferry through HTTPS_PROXY', () => {
  let h: Harness;
  let pw: string;
  let close: (() => Promise<void>) | undefined;
  let proxy: ConnectProxy;

  beforeAll(async () => {
    ({ h, pw, close } = await startCliHarness());
    proxy = await startConnectProxy({ credentials: 'ferry:tunnel-pass' });
  });
  afterAll(async () => {
    await proxy?.close();
    await close?.();
  });
  const withEnv = async (env: Record<string, string>, ...argv: string[]) => {
    const before = process.env;
    process.env = { ...before, ...env };
    try {
      return await runCli(...argv);
    } finally {
      process.env = before;
    }
  };
  const via = () => proxy.url.replace('http://', 'http://ferry:tunnel-pass@');

  it('logs in, uploads and downloads with every connection through the proxy', async () => {
    const login = await withEnv({ HTTPS_PROXY: via() }, 'login', '--engine', h.sim.engineUrl, '--username', h.sim.username, '--password-file', pw, '--trust-fingerprint', h.sim.caFingerprint);
    expect(login.code).toBe(0);
    const src = join(h.dir, 'cli-proxy.raw');
    await makeSparseImage(src, SMALL_SIZE, SMALL_RUNS);
    const up = await withEnv({ HTTPS_PROXY: via() }, 'upload', src, '--storage-domain', 'data-nfs', '--name', 'cli-proxy', '--password-file', pw, '--json');
    expect(up.code).toBe(0);
    const result = resultEvents(up.out)[0]!;
    const diskId = result['disk_id'] as string;
    await expectDiskEqualsFile(h.sim, diskId, src);
    const out = join(h.dir, 'cli-proxy-out');
    await mkdir(out);
    const down = await withEnv({ https_proxy: via() }, 'download', 'cli-proxy', '--output', out, '--password-file', pw, '--quiet');
    expect(down.code).toBe(0);
    await expectFileEqualsDisk(h.sim, diskId, join(out, 'cli-proxy.raw'));
    const ports = new Set(proxy.tunnels.filter((t) => t.opened).map((t) => t.target.replace(/^.*:/, '')));
    expect(ports).toContain(new URL(h.sim.engineUrl).port);
    expect(ports).toContain(String(h.sim.daemon.port));
  });

  it('NO_PROXY sends a command straight to the engine', async () => {
    const opened = proxy.opened();
    const r = await withEnv({ HTTPS_PROXY: via(), NO_PROXY: '127.0.0.1' }, 'disks', '--password-file', pw);
    expect(r.code).toBe(0);
    expect(proxy.opened()).toBe(opened);
  });

  it('a proxy that wants credentials: exit 1, the proxy named, no password shown', async () => {
    const r = await withEnv({ HTTPS_PROXY: proxy.url.replace('http://', 'http://ferry:wrong-pass@') }, 'disks', '--password-file', pw);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`through the proxy ${proxy.url}: it answered HTTP 407`);
    expect(r.err + r.out).not.toContain('wrong-pass');
  });
});
