/**
 * The upload journal on disk: what it keeps, and that a journal that was edited, damaged or written
 * for another state of the file is not trusted; discard removes what a kill during a save left.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalMismatch, UploadJournal, type UploadJournalIdentity } from '../../../main/engine/transfer/upload-journal.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'diskferry-upload-journal-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const identity = (): UploadJournalIdentity => ({
  path: join(dir, 'disk.raw'),
  engine: 'engine.example:443',
  diskId: '11111111-2222-3333-4444-555555555555',
  diskName: 'disk',
  stamp: { format: 'raw', virtualSize: 64 << 20, fileSize: 64 << 20, mtimeMs: 1_700_000_000_000.5 },
  wire: 'raw',
  size: 64 << 20,
});

describe('UploadJournal', () => {
  it('keeps the flushed ranges, the transfer and the finalizing mark, and is found by file and engine', async () => {
    const j = await UploadJournal.create(dir, identity());
    j.addFlushed([
      { start: 0, length: 4 << 20 },
      { start: 4 << 20, length: 4 << 20 },
    ]);
    await j.setTransfer('t-1');
    await j.setFinalizing();
    const back = (await UploadJournal.load(dir, identity().path, identity().diskId))!;
    expect(back.done.toArray()).toEqual([{ start: 0, end: 8 << 20 }]);
    expect(back.lastTransferId).toBe('t-1');
    expect(back.finalizing).toBe(true);
    expect((await UploadJournal.find(dir, identity().path, 'engine.example:443')).map((x) => x.identity.diskId)).toEqual([identity().diskId]);
    expect(await UploadJournal.find(dir, identity().path, 'other:443')).toEqual([]);
    await back.remove();
    expect(await readdir(dir)).toEqual([]);
  });

  it('does not trust a journal whose text was changed or torn', async () => {
    const j = await UploadJournal.create(dir, identity());
    j.addFlushed([{ start: 0, length: 4 << 20 }]);
    await j.save();
    const text = await readFile(j.file, 'utf8');
    await writeFile(j.file, text.replace('"done":[[0,4194304]]', '"done":[[0,67108864]]'));
    expect(await UploadJournal.load(dir, identity().path, identity().diskId)).toBeNull();
    await writeFile(j.file, text.slice(0, text.length / 2));
    expect(await UploadJournal.load(dir, identity().path, identity().diskId)).toBeNull();
  });

  it('tells a file that changed since the upload began', () => {
    const id = identity();
    expect(journalMismatch(id, id.stamp)).toBeNull();
    expect(journalMismatch(id, { ...id.stamp, mtimeMs: id.stamp.mtimeMs + 1 })).toMatch(/changed since the upload began \(modified at /);
    expect(journalMismatch(id, { ...id.stamp, fileSize: 1 })).toMatch(/changed since the upload began \(67108864 bytes then, 1 now\)/);
  });

  it('discard removes the journal and the temporary files a kill during a save left', async () => {
    const file = UploadJournal.fileOf(dir, identity().path, identity().diskId);
    await writeFile(`${file}.0123456789ab.tmp`, '{');
    await UploadJournal.discard(dir, identity().path, identity().diskId);
    expect(await readdir(dir)).toEqual([]);
  });
});
