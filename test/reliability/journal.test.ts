/**
 * The download journal on a file system that is full or crashes mid-write: it exists from the start
 * (so a full disk can still record progress, rewriting it in place), and a journal whose text is a
 * mix of an old and a new one (a torn in-place rewrite) is never trusted, even when it is valid JSON.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nodeFiles, type FilePort } from '../../main/engine/fs/file-port.js';
import { PartFile } from '../../main/engine/transfer/part-file.js';

describe('download journal', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'diskferry-journal-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is written when the partial file is opened, and resumes what it records', async () => {
    const path = join(dir, 'disk.raw');
    const part = await PartFile.open(path, 1 << 20, 'disk:1048576', { resume: true });
    expect(JSON.parse(await readFile(PartFile.journalPath(path), 'utf8'))).toMatchObject({ version: 1, done: [] });
    await part.write(0, Buffer.alloc(65536, 7));
    part.markDone(0, 65536);
    await part.close();
    const again = await PartFile.open(path, 1 << 20, 'disk:1048576', { resume: true });
    expect(again.done.toArray()).toEqual([{ start: 0, end: 65536 }]);
    await again.close();
  });

  it('is not trusted when its text was torn into valid JSON that claims other ranges', async () => {
    const path = join(dir, 'disk.raw');
    const part = await PartFile.open(path, 1 << 20, 'disk:1048576', { resume: true });
    await part.write(0, Buffer.alloc(65536, 7));
    part.markDone(0, 65536);
    await part.close();
    // Old text "…[0,65536]…" overwritten in place up to a digit of the new one: still valid JSON.
    const text = await readFile(PartFile.journalPath(path), 'utf8');
    expect(text).toContain('[[0,65536]]');
    await writeFile(PartFile.journalPath(path), text.replace('[[0,65536]]', '[[0,95536]]'));
    const again = await PartFile.open(path, 1 << 20, 'disk:1048576', { resume: true });
    expect(again.done.count).toBe(0); // starts over instead of trusting bytes it never wrote
    await again.close();
  });

  it('never records a range written while its fsync was running, and saves one at a time', async () => {
    const path = join(dir, 'disk.raw');
    // The real file system, with each fdatasync held until the test lets it go.
    const syncs: Array<() => void> = [];
    const files: FilePort = {
      open: async (p, flags, mode) => {
        const fh = await nodeFiles.open(p, flags, mode);
        return Object.assign(Object.create(fh) as typeof fh, {
          datasync: async () => {
            await new Promise<void>((resolve) => syncs.push(resolve));
            await fh.datasync();
          },
        });
      },
    };
    const opening = PartFile.open(path, 1 << 20, 'disk:1048576', { resume: true, files });
    await vi.waitFor(() => expect(syncs).toHaveLength(1));
    syncs.shift()!();
    const part = await opening;
    await part.write(0, Buffer.alloc(65536, 7));
    part.markDone(0, 65536);
    const first = part.saveJournal(); // its fsync covers the first range only
    await vi.waitFor(() => expect(syncs).toHaveLength(1));
    await part.write(65536, Buffer.alloc(65536, 8)); // written while that fsync runs
    part.markDone(65536, 65536);
    const second = part.saveJournal();
    await new Promise((r) => setTimeout(r, 20));
    expect(syncs).toHaveLength(1); // the second save waits for the first
    syncs.shift()!();
    await first;
    const journal = () => readFile(PartFile.journalPath(path), 'utf8').then((t) => (JSON.parse(t) as { done: unknown }).done);
    expect(await journal()).toEqual([[0, 65536]]);
    await vi.waitFor(() => expect(syncs).toHaveLength(1));
    syncs.shift()!();
    await second;
    expect(await journal()).toEqual([[0, 131072]]);
    const closing = part.close();
    await closing;
  });
});
