/**
 * Where the command line keeps an engine session: the desktop keyring through secret-tool (a real
 * Secret Service: gnome-keyring in a private D-Bus session, where those programs are installed), or
 * the file readable only by the user when there is no keychain or it refuses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemKeychain } from '../../main/cli/keychain.js';
import { SessionStore } from '../../main/cli/sessions.js';

const TOKEN = 'kept-token-' + 'x'.repeat(40);
const session = { profile: 'sim', engineUrl: 'https://engine.test/ovirt-engine/', username: 'admin@internal', token: { value: TOKEN, expiresAt: null } };

async function has(command: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = spawn(command, ['--version'], { stdio: 'ignore' });
    c.on('error', () => resolve(false));
    c.on('close', () => resolve(true));
  });
}

describe('the kept session store', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'diskferry-sessions-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('without a keychain, keeps the token in a file only the user can read, and forgets it', async () => {
    const store = new SessionStore(null, join(dir, 'file'));
    expect(await store.save(session)).toBe('file');
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
    expect(await store.get('sim', session.engineUrl, session.username)).toMatchObject({ token: { value: TOKEN, expiresAt: null } });
    // Kept for another engine or user: not used, and forgotten.
    expect(await store.get('sim', 'https://other.test/ovirt-engine/', session.username)).toBeUndefined();
    expect(await store.list()).toEqual([]);
  });

  it('says an expired session has no token, so the caller logs in again', async () => {
    let now = 1_000_000;
    const store = new SessionStore(null, join(dir, 'expiry'), () => now);
    await store.save({ ...session, token: { value: TOKEN, expiresAt: 1_060_000n } });
    expect((await store.get('sim', session.engineUrl, session.username))?.token?.value).toBe(TOKEN);
    now = 1_060_000;
    expect(await store.get('sim', session.engineUrl, session.username)).toMatchObject({ profile: 'sim', token: null });
  });

  it('falls back to the file when the keychain cannot be reached', async () => {
    // A session bus address that leads nowhere: secret-tool (if installed) fails, as on a server.
    const keychain = systemKeychain({ ...process.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-bus')}` }, 'linux');
    expect(keychain).not.toBeNull();
    const store = new SessionStore(keychain, join(dir, 'fallback'));
    expect(await store.save(session)).toBe('file');
    expect(store.describe('file')).toContain('readable only by you');
    expect((await store.get('sim', session.engineUrl, session.username))?.token?.value).toBe(TOKEN);
  });

  it('uses no keychain with DISKFERRY_KEYCHAIN=off, on Windows, or on Linux without a session bus', () => {
    expect(systemKeychain({ DISKFERRY_KEYCHAIN: 'off', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' }, 'linux')).toBeNull();
    expect(systemKeychain({}, 'win32')).toBeNull();
    expect(systemKeychain({}, 'linux')).toBeNull();
    expect(systemKeychain({}, 'darwin')?.name).toBe('the macOS login keychain');
  });

  describe('with a Secret Service (gnome-keyring in a private D-Bus session)', async () => {
    const available = (await has('secret-tool')) && (await has('gnome-keyring-daemon')) && (await has('dbus-daemon'));
    let bus: ChildProcess | null = null;
    let env: NodeJS.ProcessEnv = {};

    beforeAll(async () => {
      if (!available) return;
      const home = join(dir, 'home');
      env = { PATH: process.env['PATH'], HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_RUNTIME_DIR: dir };
      bus = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
      const address = await new Promise<string>((resolve) => createInterface({ input: bus!.stdout! }).once('line', resolve));
      env = { ...env, DBUS_SESSION_BUS_ADDRESS: address };
      // A login keyring created and unlocked with a password on stdin, as a session login would.
      const keyring = spawn('gnome-keyring-daemon', ['--unlock', '--components=secrets'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
      keyring.stdin!.end('keyring-password');
      await new Promise((resolve) => keyring.on('close', resolve));
    });
    afterAll(() => {
      // The keyring daemon leaves with its bus.
      bus?.kill();
    });

    it.skipIf(!available)('keeps the token in the keyring, not in the file, and deletes it there', async () => {
      const keychain = systemKeychain(env, 'linux')!;
      const store = new SessionStore(keychain, join(dir, 'keyring'));
      expect(await store.save(session)).toBe('keychain');
      const text = await readFile(store.path, 'utf8');
      expect(text).not.toContain(TOKEN);
      expect(text).toContain('"store": "keychain"');
      expect(await keychain.lookup('sim')).toBe(TOKEN);
      expect((await store.get('sim', session.engineUrl, session.username))?.token?.value).toBe(TOKEN);
      expect(await store.list()).toEqual([expect.objectContaining({ profile: 'sim', where: 'keychain' })]);
      expect(await store.forget('sim')).toBe(true);
      expect(await keychain.lookup('sim')).toBeNull();
    }, 30_000);
  });
});
