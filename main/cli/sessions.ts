/**
 * Engine sessions the command line keeps between runs, one per profile, so that after `login` a
 * command does not ask for the password again. What is kept is the engine's SSO access token and its
 * expiry — never the password: a stolen token gives the engine session until the engine ends it (it
 * idles out after 30 minutes without a call, by default) or `diskferry logout` revokes it, and
 * reveals nothing about the password.
 *
 * The token goes into the system keychain where there is one (keychain.ts); else, or when the keychain
 * refuses, into `<configDir>/engine-sessions.json`, which only the user can read (0600). That file
 * always holds what is not secret: which engine and user the session is for, its expiry, where the
 * token is.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { errorCode } from '../engine/errors.js';
import { writeFileAtomic } from '../engine/fs/atomic.js';
import type { SsoToken } from '../engine/ovirt/sso.js';
import { configDir } from './config.js';
import type { Keychain } from './keychain.js';

/** The file's name: the secrets scan of the test suite knows it as a deliberate holder of tokens. */
export const SESSIONS_FILE = 'engine-sessions.json';

const EntrySchema = z.object({
  profile: z.string().min(1),
  engineUrl: z.string(),
  username: z.string(),
  /** The token's expiry on this machine's clock, epoch ms as a decimal string; null when unknown. */
  expiresAt: z.string().regex(/^\d+$/).nullable(),
  savedAt: z.number(),
  /** `keychain`: the token is in the system keychain; `file`: it is `token` here. */
  store: z.enum(['keychain', 'file']),
  token: z.string().min(1).optional(),
});

const FileSchema = z.object({ version: z.literal(1), sessions: z.array(EntrySchema) });

type Entry = z.infer<typeof EntrySchema>;

/** The last instant a Date can show. */
const MAX_DATE_MS = 8.64e15;

/** A session kept for a profile. */
export interface KeptSession {
  readonly profile: string;
  readonly engineUrl: string;
  readonly username: string;
  readonly token: SsoToken | null;
}

/** What `profiles` shows of a kept session (no token). */
export interface KeptSessionInfo {
  readonly profile: string;
  readonly expiresAt: number | null;
  readonly savedAt: number;
  readonly where: 'keychain' | 'file';
}

/** Reads and writes the kept sessions; see the file comment. */
export class SessionStore {
  readonly path: string;

  constructor(
    private readonly keychain: Keychain | null,
    dir: string = configDir(),
    private readonly now: () => number = Date.now,
  ) {
    this.path = join(dir, SESSIONS_FILE);
  }

  /** How the place a token is kept is named to the user. */
  describe(where: 'keychain' | 'file'): string {
    return where === 'keychain' && this.keychain ? this.keychain.name : `${this.path} (readable only by you)`;
  }

  private async load(): Promise<Entry[]> {
    const text = await readFile(this.path, 'utf8').catch((err: unknown) => {
      if (errorCode(err) === 'ENOENT') return null;
      throw err;
    });
    if (text === null) return [];
    const parsed = FileSchema.safeParse(JSON.parse(text));
    // A damaged file costs a password prompt, nothing more: start again.
    return parsed.success ? parsed.data.sessions : [];
  }

  private async write(entries: readonly Entry[]): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify({ version: 1, sessions: entries }, null, 2) + '\n', { mode: 0o600 });
  }

  /** Keeps a profile's session (replacing the one kept before); returns where the token went. */
  async save(session: KeptSession & { readonly token: SsoToken }): Promise<'keychain' | 'file'> {
    const entries = (await this.load()).filter((e) => e.profile !== session.profile);
    let where: 'keychain' | 'file' = 'file';
    if (this.keychain) {
      try {
        await this.keychain.store(session.profile, `DiskFerry: ${session.username} on ${new URL(session.engineUrl).host}`, session.token.value);
        where = 'keychain';
      } catch {
        where = 'file';
      }
    }
    entries.push({
      profile: session.profile,
      engineUrl: session.engineUrl,
      username: session.username,
      expiresAt: session.token.expiresAt === null ? null : session.token.expiresAt.toString(),
      savedAt: this.now(),
      store: where,
      ...(where === 'file' ? { token: session.token.value } : {}),
    });
    await this.write(entries);
    return where;
  }

  /**
   * The session kept for a profile: undefined when none is kept for this engine and user (one kept
   * for another is forgotten); a token of null when it expired or cannot be read back, so the caller
   * logs in again and keeps the new one.
   */
  async get(profile: string, engineUrl: string, username: string): Promise<KeptSession | undefined> {
    const entry = (await this.load()).find((e) => e.profile === profile);
    if (!entry) return undefined;
    if (entry.engineUrl !== engineUrl || entry.username !== username) {
      await this.forget(profile);
      return undefined;
    }
    const expiresAt = entry.expiresAt === null ? null : BigInt(entry.expiresAt);
    const expired = expiresAt !== null && expiresAt <= BigInt(Math.floor(this.now()));
    const value = expired ? null : entry.store === 'file' ? (entry.token ?? null) : await this.keychain?.lookup(profile).catch(() => null);
    return { profile, engineUrl, username, token: value ? { value, expiresAt } : null };
  }

  /** What is kept, per profile (for `profiles`). */
  async list(): Promise<KeptSessionInfo[]> {
    // The engine's "no expiry" is Long.MAX_VALUE, past any date.
    const expiry = (text: string | null) => (text === null || Number(text) > MAX_DATE_MS ? null : Number(text));
    return (await this.load()).map((e) => ({ profile: e.profile, expiresAt: expiry(e.expiresAt), savedAt: e.savedAt, where: e.store }));
  }

  /** Deletes a profile's kept session from the keychain and the file; true when there was one. */
  async forget(profile: string): Promise<boolean> {
    const entries = await this.load();
    const entry = entries.find((e) => e.profile === profile);
    if (!entry) return false;
    if (entry.store === 'keychain') await this.keychain?.remove(profile).catch(() => {});
    await this.write(entries.filter((e) => e !== entry));
    return true;
  }
}
