import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCore, type CoreHarness } from './helpers.js';

describe('app core: engine profiles and connections', () => {
  let h: CoreHarness;
  beforeAll(async () => {
    h = await startCore();
  });
  afterAll(async () => {
    await h.close();
  });

  it('adds an engine after the user accepts the fetched CA fingerprint, and connects', async () => {
    const ca = await h.call('engines:fetchCa', { engineUrl: h.sim.engineUrl });
    expect(ca.fingerprint).toBe(h.sim.caFingerprint);
    const profile = await h.call('engines:add', {
      engineUrl: h.sim.engineUrl.replace('https://', ''),
      username: h.sim.username,
      password: h.sim.password,
      savePassword: true,
      trust: { kind: 'fingerprint', fingerprint: ca.fingerprint.toLowerCase() },
      name: 'lab',
    });
    expect(profile).toMatchObject({ name: 'lab', status: 'connected', passwordSaved: true, caFingerprint: h.sim.caFingerprint, demo: false });
    expect(profile.engineVersion).toMatch(/^4\.5/);
    const state = await h.call('engines:list', undefined);
    expect(state.selectedId).toBe(profile.id);
    const storedEngines = JSON.stringify(h.store.documents.get('engines'));
    expect(storedEngines).not.toContain(h.sim.password);
  });

  it('saves nothing when the login fails, and says why', async () => {
    const before = (await h.call('engines:list', undefined)).profiles.length;
    const ca = await h.call('engines:fetchCa', { engineUrl: h.sim.engineUrl });
    const r = await h.invoke('engines:add', {
      engineUrl: h.sim.engineUrl,
      username: h.sim.username,
      password: 'wrong-password',
      savePassword: false,
      trust: { kind: 'fingerprint', fingerprint: ca.fingerprint },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('auth-failed');
    expect((await h.call('engines:list', undefined)).profiles.length).toBe(before);
  });

  it('tests a new engine without saving it, and reports a wrong password the same way add does', async () => {
    const before = JSON.stringify(h.store.documents.get('engines'));
    const ca = await h.call('engines:fetchCa', { engineUrl: h.sim.engineUrl });
    const request = { engineUrl: h.sim.engineUrl, username: h.sim.username, password: h.sim.password, savePassword: true, trust: { kind: 'fingerprint' as const, fingerprint: ca.fingerprint } };
    const tested = await h.call('engines:testNew', request);
    expect(tested.engineVersion).toMatch(/^4\.5/);
    const wrong = await h.invoke('engines:testNew', { ...request, password: 'wrong-password' });
    expect(wrong.ok || wrong.error.code).toBe('auth-failed');
    expect(JSON.stringify(h.store.documents.get('engines'))).toBe(before);
    // The fetched CA is still there for the add that follows a successful test.
    const added = await h.call('engines:add', { ...request, savePassword: false, name: 'tested-first' });
    expect(added.status).toBe('connected');
    await h.call('engines:remove', { id: added.id });
  });

  it('refuses a fingerprint that was never fetched', async () => {
    const r = await h.invoke('engines:add', {
      engineUrl: h.sim.engineUrl,
      username: h.sim.username,
      password: h.sim.password,
      savePassword: false,
      trust: { kind: 'fingerprint', fingerprint: 'AB:'.repeat(31) + 'AB' },
    });
    expect(r.ok || r.error.code).toBe('bad-input');
  });

  it('adds with an imported PEM, asks for the password after a restart, and connects when given it', async () => {
    const profile = await h.call('engines:add', {
      engineUrl: h.sim.engineUrl,
      username: h.sim.username,
      password: h.sim.password,
      savePassword: false,
      trust: { kind: 'pem', pem: h.sim.caPem },
      name: 'pem-engine',
    });
    expect(profile.passwordSaved).toBe(false);
    await h.restart();
    let state = await h.call('engines:select', { id: profile.id });
    expect(state.profiles.find((p) => p.id === profile.id)?.status).toBe('needs-password');
    state = await h.call('engines:select', { id: profile.id, password: h.sim.password });
    expect(state.profiles.find((p) => p.id === profile.id)?.status).toBe('connected');
    const test = await h.call('engines:test', { id: profile.id });
    expect(test.engineVersion).toMatch(/^4\.5/);
  });

  it('re-pins a fetched CA with engines:trust, and removes profiles', async () => {
    const { profiles } = await h.call('engines:list', undefined);
    const target = profiles.find((p) => p.name === 'pem-engine')!;
    const ca = await h.call('engines:fetchCa', { id: target.id });
    const trusted = await h.call('engines:trust', { id: target.id, fingerprint: ca.fingerprint });
    expect(trusted.caFingerprint).toBe(h.sim.caFingerprint);
    const after = await h.call('engines:remove', { id: target.id });
    expect(after.profiles.some((p) => p.id === target.id)).toBe(false);
  });

  it('adds the demo engine and selects it; a second call reuses the profile', async () => {
    const demo = await h.call('engines:demo', undefined);
    expect(demo).toMatchObject({ demo: true, status: 'connected' });
    const again = await h.call('engines:demo', undefined);
    expect(again.id).toBe(demo.id);
    expect((await h.call('engines:list', undefined)).selectedId).toBe(demo.id);
    expect((await h.call('app:info', undefined)).demoAvailable).toBe(true);
  });

  it('lists storage domains and disks of the selected engine', async () => {
    const domains = await h.call('catalog:storageDomains', { refresh: true });
    const nfs = domains.find((d) => d.name === 'data-nfs')!;
    expect(nfs.acceptsUploads).toBe(true);
    expect(domains.find((d) => d.name === 'data-maint')?.acceptsUploads).toBe(false);
    expect(domains.find((d) => d.name === 'iso-old')?.acceptsUploads).toBe(false);
    const disks = await h.call('catalog:disks', { search: 'web*' });
    expect(disks.map((d) => d.name)).toEqual(['web-01-disk1']);
    expect(disks[0]).toMatchObject({ downloadable: true, storageDomainNames: ['data-nfs'], vmNames: ['web-01'] });
    const floating = await h.call('catalog:disks', { search: 'fedora*' });
    expect(floating[0]?.vmNames).toEqual([]);
  });

  it('never sends a password, token or ticket to the window', () => {
    const all = h.wire.join('\n');
    expect(all).not.toContain(h.sim.password);
    expect(all).not.toMatch(/Bearer|access_token|\/images\//);
  });

  it('refuses malformed payloads with bad-input before doing anything', async () => {
    const r = await h.invoke('engines:add', { engineUrl: 'x', username: 'no-at-sign', password: 'p', savePassword: false, trust: { kind: 'system' } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('bad-input');
      expect(r.error.message).not.toContain('"p"');
    }
  });
});
