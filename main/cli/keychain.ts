/**
 * The operating system's keychain, reached through the tool each system ships, so the command line
 * needs no native module (Electron's safeStorage is the app's, not the CLI's):
 * - Linux: `secret-tool` (libsecret) and the Secret Service of the desktop session (GNOME Keyring,
 *   KWallet); used only when a D-Bus session bus is there, so a headless server does not start one;
 * - macOS: `security` and the login keychain; the secret goes in through `security -i` on stdin,
 *   never on a command line another user could read in the process list;
 * - Windows: none (no tool reads a credential back without a native module); the file store is used.
 * A tool that is missing, refused, locked or slow makes the caller fall back to the file store.
 */
import { spawn } from 'node:child_process';

/** Where secrets of one account are kept, and how it is named to the user. */
export interface Keychain {
  /** Shown in `login`'s output: "the GNOME Keyring or KWallet (libsecret)". */
  readonly name: string;
  /** Stores (or replaces) the secret of `account`; throws when the keychain refuses. */
  store(account: string, label: string, secret: string): Promise<void>;
  /** The secret of `account`, or null when there is none (or the keychain cannot be asked). */
  lookup(account: string): Promise<string | null>;
  /** Deletes the secret of `account`, if any. */
  remove(account: string): Promise<void>;
}

/** The service name DiskFerry's entries carry in the keychain. */
const SERVICE = 'diskferry-engine-session';

/** A keychain tool that waits for an unlock prompt nobody answers is given up on after this long. */
const TOOL_TIMEOUT_MS = 20_000;

interface ToolRun {
  readonly code: number | null;
  readonly stdout: string;
}

/** Runs a tool without a shell, `input` on its stdin; never throws (a missing tool is code null). */
function runTool(command: string, args: readonly string[], input: string | null, env: NodeJS.ProcessEnv): Promise<ToolRun> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'], env });
    let stdout = '';
    const timer = setTimeout(() => child.kill(), TOOL_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stdin.on('error', () => {});
    child.on('error', () => {
      clearTimeout(timer);
      resolve({ code: null, stdout: '' });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
    child.stdin.end(input ?? '');
  });
}

/** libsecret's `secret-tool`: attributes `service` and `account` name the entry; the secret is read from stdin. */
function secretTool(env: NodeJS.ProcessEnv): Keychain {
  const attrs = (account: string) => ['service', SERVICE, 'account', account];
  return {
    name: 'the desktop keyring (Secret Service, through secret-tool)',
    async store(account, label, secret) {
      const r = await runTool('secret-tool', ['store', `--label=${label}`, ...attrs(account)], secret, env);
      if (r.code !== 0) throw new Error(r.code === null ? 'secret-tool is not installed' : `secret-tool store exited with ${r.code}`);
    },
    async lookup(account) {
      const r = await runTool('secret-tool', ['lookup', ...attrs(account)], null, env);
      return r.code === 0 && r.stdout !== '' ? r.stdout.replace(/\n$/, '') : null;
    },
    async remove(account) {
      await runTool('secret-tool', ['clear', ...attrs(account)], null, env);
    },
  };
}

/** A value `security -i` reads as one word: double-quoted; what it cannot hold safely is refused. */
function securityWord(text: string): string {
  if (/["\\\r\n]/.test(text)) throw new Error('the value cannot be passed to security safely');
  return `"${text}"`;
}

/** macOS `security` and the login keychain (a generic password of service SERVICE and the account). */
function macSecurity(env: NodeJS.ProcessEnv): Keychain {
  return {
    name: 'the macOS login keychain',
    async store(account, label, secret) {
      const command = `add-generic-password -U -s ${SERVICE} -a ${securityWord(account)} -l ${securityWord(label)} -w ${securityWord(secret)}\n`;
      const r = await runTool('security', ['-i'], command, env);
      if (r.code !== 0) throw new Error(r.code === null ? 'security is not available' : `security exited with ${r.code}`);
      // `security -i` exits 0 even when its command failed: read the entry back.
      if ((await this.lookup(account)) !== secret) throw new Error('the keychain did not keep the entry');
    },
    async lookup(account) {
      const r = await runTool('security', ['find-generic-password', '-s', SERVICE, '-a', account, '-w'], null, env);
      return r.code === 0 && r.stdout !== '' ? r.stdout.replace(/\n$/, '') : null;
    },
    async remove(account) {
      await runTool('security', ['delete-generic-password', '-s', SERVICE, '-a', account], null, env);
    },
  };
}

/**
 * The keychain of this system, or null when there is none to use: `DISKFERRY_KEYCHAIN=off` turns it
 * off (the file store is used), a Linux session without a D-Bus session bus has none.
 */
export function systemKeychain(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Keychain | null {
  if (env['DISKFERRY_KEYCHAIN'] === 'off') return null;
  if (platform === 'darwin') return macSecurity(env);
  if (platform === 'linux' && env['DBUS_SESSION_BUS_ADDRESS']) return secretTool(env);
  return null;
}
