import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { errorCode } from '../engine/errors.js';
import { configDir } from '../engine/config-dir.js';
import { writeFileAtomic } from '../engine/fs/atomic.js';

export { configDir, ledgerDir, queueFile } from '../engine/config-dir.js';

/** The records of the VM snapshots snapshot backups must remove (engine/backup/snapshot-pending.ts). */
export function pendingSnapshotsDir(dir: string = configDir()): string {
  return join(dir, 'pending-snapshots');
}

/** Where `diskferry transfers` keeps what it saw of each engine's transfers (idle times). */
export function sightingsFile(engineHost: string, dir: string = configDir()): string {
  return join(dir, 'transfer-sightings', `${engineHost.replace(/[^A-Za-z0-9.-]/g, '_')}.json`);
}

/** Where the CLI keeps upload journals (`<configDir>/uploads/`), for `upload --resume` and the queue. */
export function uploadJournalDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'uploads');
}

const ProfileSchema = z.object({
  name: z.string().min(1),
  engineUrl: z.string().url(),
  username: z.string().min(1),
  caPem: z.string().nullable(),
  caFingerprint: z.string().nullable(),
  systemTrust: z.boolean().default(false),
});

/** One engine the CLI knows: where it is, who logs in, and which CA is trusted (never the password). */
export type EngineProfile = z.infer<typeof ProfileSchema>;

const ConfigSchema = z.object({
  version: z.literal(1),
  defaultProfile: z.string().nullable(),
  profiles: z.array(ProfileSchema),
});

type Config = z.infer<typeof ConfigSchema>;

/** Reads and writes the CLI's engine profiles in `<configDir>/engines.json`. */
export class ProfileStore {
  readonly path: string;

  constructor(dir: string = configDir()) {
    this.path = join(dir, 'engines.json');
  }

  private async load(): Promise<Config> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return { version: 1, defaultProfile: null, profiles: [] };
      throw err;
    }
    const parsed = ConfigSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${this.path} is not a valid DiskFerry profile file: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data;
  }

  /** All profiles and the default one's name. */
  async list(): Promise<{ profiles: EngineProfile[]; defaultProfile: string | null }> {
    const c = await this.load();
    return { profiles: c.profiles, defaultProfile: c.defaultProfile };
  }

  /** The named profile, or the default one when no name is given. */
  async get(name?: string): Promise<EngineProfile | null> {
    const c = await this.load();
    const wanted = name ?? c.defaultProfile;
    return c.profiles.find((p) => p.name === wanted) ?? null;
  }

  /** Removes a profile; the default one removed leaves no default. Returns false when there was none of that name. */
  async remove(name: string): Promise<boolean> {
    const c = await this.load();
    const profiles = c.profiles.filter((p) => p.name !== name);
    if (profiles.length === c.profiles.length) return false;
    await writeFileAtomic(this.path, JSON.stringify({ version: 1, defaultProfile: c.defaultProfile === name ? null : c.defaultProfile, profiles }, null, 2) + '\n');
    return true;
  }

  /** Adds or replaces a profile and makes it the default. */
  async save(profile: EngineProfile): Promise<void> {
    const c = await this.load();
    const profiles = c.profiles.filter((p) => p.name !== profile.name);
    profiles.push(ProfileSchema.parse(profile));
    await writeFileAtomic(this.path, JSON.stringify({ version: 1, defaultProfile: profile.name, profiles }, null, 2) + '\n');
  }
}
