/**
 * The proxy setting of an engine profile: `system` follows the host's system settings (Electron's
 * session in the app), `none` connects directly, an address uses that proxy; the CA download, the
 * login and the transfers' data plane all follow it. Profiles saved before the setting read as `system`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransferView } from '../../shared/ipc.js';
import { MemoryStore } from '../../main/app/node-ports.js';
import { seededDiskId } from '../integration/helpers.js';
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy.js';
import { startCore, until, type CoreHarness } from './helpers.js';

describe('app core: the proxy of an engine profile', () => {
  let h: CoreHarness;
  let system: ConnectProxy;
  let own: ConnectProxy;
  beforeAll(async () => {
    system = await startConnectProxy();
    own = await startConnectProxy();
    h = await startCore({ systemProxy: () => new URL(system.url) });
  });
  afterAll(async () => {
    await h?.close();
    await system?.close();
    await own?.close();
  });

  const transfer = (id: string): TransferView => h.snapshot('transfers:changed').transfers.find((x) => x.id === id)!;
  const add = async (proxy: string | undefined, name: string) => {
    const ca = await h.call('engines:fetchCa', { engineUrl: h.sim.engineUrl, ...(proxy ? { proxy } : {}) });
    return h.call('engines:add', {
      engineUrl: h.sim.engineUrl,
      username: h.sim.username,
      password: h.sim.password,
      savePassword: false,
      trust: { kind: 'fingerprint', fingerprint: ca.fingerprint },
      name,
      ...(proxy ? { proxy } : {}),
    });
  };

  it('system (the default): the CA download, the login and a download go through the system proxy', async () => {
    const profile = await add(undefined, 'via-system');
    expect(profile).toMatchObject({ status: 'connected', proxy: 'system' });
    const folder = join(h.dir, 'system');
    await mkdir(folder);
    const { queued: [t] } = await h.call('transfers:addDownloads', { diskIds: [seededDiskId('db01-disk0')], folder, format: 'raw', existing: 'rename' });
    await until(() => ['completed', 'failed'].includes(transfer(t!.id).state), 20_000, 'the download to end');
    expect(transfer(t!.id).state, transfer(t!.id).error?.message).toBe('completed');
    const ports = system.tunnels.map((x) => Number(x.target.replace(/^.*:/, '')));
    expect(ports).toContain(Number(new URL(h.sim.engineUrl).port));
    expect(ports).toContain(h.sim.daemon.port);
    expect(own.opened()).toBe(0);
  });

  it('none: straight to the engine, whatever the system says', async () => {
    const before = system.opened();
    const profile = await add('none', 'direct');
    expect(profile).toMatchObject({ status: 'connected', proxy: 'none' });
    expect(system.opened()).toBe(before);
  });

  it('an address: that proxy, not the system one', async () => {
    const before = system.opened();
    const profile = await add(own.url, 'via-own');
    expect(profile).toMatchObject({ status: 'connected', proxy: own.url });
    expect(own.opened()).toBeGreaterThan(0);
    expect(system.opened()).toBe(before);
  });

  it('refuses a proxy address with credentials or another scheme, before connecting', async () => {
    for (const proxy of ['http://user:secret@proxy.example.test:3128', 'socks5://proxy.example.test:1080', 'http://proxy.example.test']) {
      const r = await h.invoke('engines:fetchCa', { engineUrl: h.sim.engineUrl, proxy });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('bad-input');
        expect(r.error.message).not.toContain('secret');
      }
    }
  });
});

describe('app core: profiles saved before the proxy setting', () => {
  it('read as system', async () => {
    const store = new MemoryStore();
    const old = { id: 'p1', name: 'old', engineUrl: 'https://engine.example.test/ovirt-engine', username: 'admin@internal', caPem: null, caFingerprint: null, caSubject: null, systemTrust: true, passwordCipher: null, demo: false };
    await store.write('engines', { version: 1, selectedId: null, profiles: [old] });
    const h = await startCore({ store });
    try {
      const state = await h.call('engines:list', undefined);
      expect(state.profiles[0]).toMatchObject({ name: 'old', proxy: 'system' });
    } finally {
      await h.close();
    }
  });
});
