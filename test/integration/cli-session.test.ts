/**
 * The engine session `diskferry login` keeps: commands use it instead of asking for the password,
 * it is a token in a file only the user can read (no keychain here), never the password; `logout`
 * ends it on the engine and deletes it; `profiles` lists and removes profiles.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonEvents, runCli, startCliHarness } from './capture.js';
import type { Harness } from './helpers.js';

describe('the engine session the command line keeps', () => {
  let h: Harness;
  let pw: string;
  let close: (() => Promise<void>) | undefined;
  const outputs: string[] = [];
  const run = async (...argv: string[]) => {
    const r = await runCli(...argv);
    outputs.push(r.out, r.err);
    return r;
  };
  const sessionsFile = () => join(h.dir, 'config', 'engine-sessions.json');
  const keptTokens = async () => {
    const doc = JSON.parse(await readFile(sessionsFile(), 'utf8')) as { sessions: Array<{ profile: string; token?: string }> };
    return new Map(doc.sessions.map((s) => [s.profile, s.token ?? '']));
  };
  const login = (name: string) => run('login', '--engine', h.sim.engineUrl, '--username', h.sim.username, '--password-file', pw, '--trust-fingerprint', h.sim.caFingerprint, '--name', name);
  const engineKnows = (token: string) => h.sim.engine.state.tokens.has(token);

  beforeAll(async () => {
    ({ h, pw, close } = await startCliHarness());
    process.env['DISKFERRY_KEYCHAIN'] = 'off';
  });
  afterAll(async () => {
    // No secret of the engine reached what the commands printed.
    const printed = outputs.join('\n');
    expect(printed).not.toContain(h.sim.password);
    for (const token of h.sim.engine.state.tokens.keys()) expect(printed).not.toContain(token);
    await close?.();
  });

  it('login keeps the session token, never the password, in a file only the user can read', async () => {
    const r = await login('sim');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/The engine session is kept in .*engine-sessions\.json \(readable only by you\): commands use it without asking for the password/);
    expect((await stat(sessionsFile())).mode & 0o777).toBe(0o600);
    const text = await readFile(sessionsFile(), 'utf8');
    expect(text).not.toContain(h.sim.password);
    const token = (await keptTokens()).get('sim')!;
    expect(engineKnows(token)).toBe(true);
  });

  it('commands use the kept session: no password, no new login, the session stays open', async () => {
    const token = (await keptTokens()).get('sim')!;
    const sessions = h.sim.engine.state.tokens.size;
    const r = await run('disks');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/web-01-disk1/);
    expect(h.sim.engine.state.tokens.size).toBe(sessions);
    expect(engineKnows(token)).toBe(true);
  });

  it('a password given on the command line logs in afresh and leaves the kept session alone', async () => {
    const token = (await keptTokens()).get('sim')!;
    const r = await run('storage-domains', '--password-file', pw);
    expect(r.code, r.err).toBe(0);
    expect(engineKnows(token)).toBe(true);
    expect((await keptTokens()).get('sim')).toBe(token);
  });

  it('says to log in again when the engine has ended the kept session, and forgets it', async () => {
    const token = (await keptTokens()).get('sim')!;
    h.sim.engine.state.tokens.delete(token);
    const r = await run('disks');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/The engine session kept by diskferry login has ended .* Log in again \(diskferry login --profile sim\), or give --password-file F\./);
    expect((await keptTokens()).has('sim')).toBe(false);
    const list = jsonEvents((await run('profiles', '--json')).out);
    expect(list).toEqual([expect.objectContaining({ profile: 'sim', default: true, session_kept: null })]);
  });

  it("logs in again as the message says: the profile's engine, user and trusted CA, only the password asked", async () => {
    // No terminal and no --trust-fingerprint: the CA the profile trusts is trusted still.
    const r = await run('login', '--profile', 'sim', '--password-file', pw);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^Logged in to .* as admin@internal\. Saved as profile 'sim'/);
    expect(r.err).not.toContain("The engine's CA certificate");
    expect(engineKnows((await keptTokens()).get('sim')!)).toBe(true);
    expect((await run('disks')).code).toBe(0);
    const unknown = await run('login', '--profile', 'nope', '--password-file', pw);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("There is no profile 'nope'.");
  });

  it('logout ends the session on the engine and deletes its token; then a password is needed again', async () => {
    expect((await login('sim')).code).toBe(0);
    const token = (await keptTokens()).get('sim')!;
    const r = await run('logout');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^Logged out of .* \(profile 'sim'\): the engine ended the session and its token was deleted\./);
    expect(engineKnows(token)).toBe(false);
    expect((await keptTokens()).has('sim')).toBe(false);
    const again = await run('logout');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/No engine session is kept for profile 'sim'; nothing to end\./);
    const disks = await run('disks');
    expect(disks.code).toBe(2);
    expect(disks.err).toMatch(/No password: use --password-file FILE or set DISKFERRY_PASSWORD/);
  });

  it('a new login of a profile ends the session the earlier one kept', async () => {
    expect((await login('sim')).code).toBe(0);
    const first = (await keptTokens()).get('sim')!;
    expect((await login('sim')).code).toBe(0);
    const second = (await keptTokens()).get('sim')!;
    expect(second).not.toBe(first);
    expect(engineKnows(first)).toBe(false);
    expect(engineKnows(second)).toBe(true);
  });

  it('profiles lists each profile with its kept session, and remove ends that session first', async () => {
    expect((await login('other')).code).toBe(0);
    expect((await login('sim')).code).toBe(0);
    const otherToken = (await keptTokens()).get('other')!;
    const table = await run('profiles');
    expect(table.code).toBe(0);
    expect(table.out.split('\n')[0]).toMatch(/^PROFILE +ENGINE +USER +DEFAULT +SESSION$/);
    expect(table.out).toMatch(/\nsim +https:\S+ +admin@internal +\* +kept \(file\)/);
    expect(table.out).toMatch(/\nother +https:\S+ +admin@internal +kept \(file\)/);

    const typo = await run('profiles', 'remove', 'other', 'nope');
    expect(typo.code).toBe(2);
    expect(typo.err).toMatch(/No engine profile named 'nope'; nothing was removed\./);
    expect(engineKnows(otherToken)).toBe(true);

    const r = await run('profiles', 'remove', 'other');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/Removed profile 'other'\. Its engine session was ended\./);
    expect(engineKnows(otherToken)).toBe(false);
    expect(jsonEvents((await run('profiles', '--json')).out).map((p) => p['profile'])).toEqual(['sim']);
    // The default one removed: the next command says to choose a profile.
    expect((await run('profiles', 'remove', 'sim')).out).toMatch(/It was the default/);
    expect((await run('disks')).err).toMatch(/No engine yet: run diskferry login/);
  });
});
