import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JsonFileStore } from '../../../main/app/node-ports.js';
import { acquireRunLock, queuePaths } from '../../../main/cli/queue/ports.js';
import { removeStaleTemps, writeFileAtomic } from '../../../main/engine/fs/atomic.js';

describe('temporary files of atomic writes', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'diskferry-atomic-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A file with a modification time `ageMs` ago, as a save killed that long ago leaves it. */
  async function leftover(name: string, ageMs: number): Promise<void> {
    await writeFile(join(dir, name), '{"half":');
    const t = (Date.now() - ageMs) / 1000;
    await utimes(join(dir, name), t, t);
  }

  it('writes the file and leaves no temporary file', async () => {
    await writeFileAtomic(join(dir, 'queue.json'), '{"jobs":[]}');
    expect(await readdir(dir)).toEqual(['queue.json']);
  });

  it('removes the old temporary files of that file only, and keeps a young one (a save running now)', async () => {
    await writeFileAtomic(join(dir, 'queue.json'), '{"jobs":[]}');
    await leftover('queue.json.0123456789ab.tmp', 120_000);
    await leftover('queue.json.a1b2c3d4e5f6.tmp', 90_000);
    await leftover('queue.json.ffffffffffff.tmp', 1_000); // young: may be a save in flight
    await leftover('other.json.0123456789ab.tmp', 120_000); // another file's
    await leftover('queue.json.old.tmp', 120_000); // not a name writeFileAtomic makes
    await leftover('queueXjson.0123456789ab.tmp', 120_000); // the dot is not a wildcard
    expect(await removeStaleTemps(join(dir, 'queue.json'), 60_000)).toBe(2);
    expect((await readdir(dir)).sort()).toEqual(['other.json.0123456789ab.tmp', 'queue.json', 'queue.json.ffffffffffff.tmp', 'queue.json.old.tmp', 'queueXjson.0123456789ab.tmp']);
  });

  it('removes every one when asked for any age, also one whose time is a little ahead of the clock', async () => {
    // Date.now() is whole milliseconds, a file's time is not: a file written in the same
    // millisecond looks up to a millisecond younger than zero. A clock stepped back does the same.
    await leftover('queue.json.0123456789ab.tmp', -1000);
    await leftover('queue.json.ffffffffffff.tmp', 0);
    expect(await removeStaleTemps(join(dir, 'queue.json'), 0)).toBe(2);
    expect(await readdir(dir)).toEqual([]);
  });

  it('finds nothing to do in a folder that does not exist', async () => {
    expect(await removeStaleTemps(join(dir, 'missing', 'queue.json'), 0)).toBe(0);
  });

  it('are cleared when a queue run takes the lock (after a kill -9 in a save)', async () => {
    const paths = queuePaths(dir);
    await writeFileAtomic(paths.file, '{"jobs":[]}');
    await leftover('queue.json.0123456789ab.tmp', 10 * 60_000);
    await leftover('queue.json.ffffffffffff.tmp', 0);
    const release = await acquireRunLock(paths);
    try {
      expect((await readdir(dir)).sort()).toEqual(['queue.json', 'queue.json.ffffffffffff.tmp', 'queue.lock']);
    } finally {
      await release();
    }
  });

  it("are cleared when the web host's document store reads the document", async () => {
    const store = new JsonFileStore(dir);
    await store.write('settings', { a: 1 });
    await leftover('settings.json.0123456789ab.tmp', 10 * 60_000);
    expect(await store.read('settings')).toEqual({ a: 1 });
    expect(await readdir(dir)).toEqual(['settings.json']);
  });
});
