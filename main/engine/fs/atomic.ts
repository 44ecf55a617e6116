import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { nodeFiles, type FilePort } from './file-port.js';

/** The temporary files writeFileAtomic makes beside `name`: `name.<12 hex digits>.tmp`. */
const tempPattern = (name: string) => new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.[0-9a-f]{12}\\.tmp$`);

/**
 * Removes the temporary files a process killed in the middle of writeFileAtomic(path) left beside
 * it. Only those at least `olderThanMs` old: a younger one may belong to a save running right now;
 * with 0, all of them, whatever their time says (a file written in the same millisecond can carry a
 * modification time a fraction of a millisecond after `Date.now()`, which is whole milliseconds).
 * Returns how many were removed; a folder that cannot be read removes nothing.
 */
export async function removeStaleTemps(path: string, olderThanMs: number): Promise<number> {
  const now = Date.now();
  const dir = dirname(path);
  const pattern = tempPattern(basename(path));
  const names = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    if (!pattern.test(name)) continue;
    const file = join(dir, name);
    const mtime = await stat(file).then((s) => s.mtimeMs, () => null);
    if (mtime === null || (olderThanMs > 0 && now - mtime < olderThanMs)) continue;
    await rm(file, { force: true });
    removed++;
  }
  return removed;
}

/**
 * Writes a file so that a crash or kill -9 leaves either the old or the new content, never a torn
 * one: write a temporary file beside it, fsync, rename over the target.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: { mode?: number; files?: FilePort } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await (options.files ?? nodeFiles).open(tmp, 'w', options.mode ?? 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
