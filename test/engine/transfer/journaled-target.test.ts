/**
 * The download's file (JournaledTarget) on a real file system: what the journal on disk lists, when
 * it is saved (the 2 s timer, every 128 MiB written), the rename at the end and a dropped journal.
 * Time is a hand-driven Timers port; files and fsyncs are real.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { qcow2Layout } from '../../../main/engine/image/qcow2-layout.js';
import type { Timers } from '../../../main/engine/timers.js';
import { JOURNAL_EVERY_BYTES, JOURNAL_EVERY_MS, JournaledTarget } from '../../../main/engine/transfer/journaled-target.js';
import { PartFile } from '../../../main/engine/transfer/part-file.js';

const MiB = 1024 * 1024;

/** Intervals that fire only when the test says so. */
function handTimers(): Timers & { fire(): void; intervals: Map<number, { fn: () => void; ms: number }> } {
  const intervals = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  return {
    intervals,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    setInterval: (fn, ms) => {
      intervals.set(next, { fn, ms });
      return next++;
    },
    clearInterval: (h) => void intervals.delete(h as number),
    fire: () => {
      for (const i of intervals.values()) i.fn();
    },
  };
}

/** The ranges the journal on disk lists (what a resumed run would trust). */
async function journaled(finalPath: string): Promise<Array<[number, number]>> {
  return (JSON.parse(await readFile(PartFile.journalPath(finalPath), 'utf8')) as { done: Array<[number, number]> }).done;
}

async function until(predicate: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-journaled-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('JournaledTarget', () => {
  it('saves the journal on its 2 s timer only while saving is started, listing what was written', async () => {
    const timers = handTimers();
    const path = join(dir, 'disk.raw');
    const t = await JournaledTarget.open(path, { size: 8 * MiB, identity: 'd:8', layout: null, resume: true, timers });
    try {
      expect(await journaled(path)).toEqual([]); // written at open, before any data
      t.startSaving();
      expect([...timers.intervals.values()].map((i) => i.ms)).toEqual([JOURNAL_EVERY_MS]);
      await t.write(MiB, randomBytes(MiB), null);
      expect(await journaled(path)).toEqual([]); // not saved by the write itself
      timers.fire();
      await until(async () => (await journaled(path)).length === 1, 'the timer save');
      expect(await journaled(path)).toEqual([[MiB, 2 * MiB]]);
      t.stopSaving();
      expect(timers.intervals.size).toBe(0);
    } finally {
      await t.close();
    }
    expect(timers.intervals.size).toBe(0);
  });

  it('saves the journal by itself once 128 MiB were written since the last save', async () => {
    const timers = handTimers();
    const path = join(dir, 'big.raw');
    const piece = Buffer.alloc(4 * MiB); // zeros: a fresh part file leaves them as holes, so this is fast
    const t = await JournaledTarget.open(path, { size: JOURNAL_EVERY_BYTES + 8 * MiB, identity: 'd:big', layout: null, resume: true, timers });
    try {
      const pieces = JOURNAL_EVERY_BYTES / piece.length;
      for (let i = 0; i < pieces - 1; i++) await t.write(i * piece.length, piece, null);
      expect(await journaled(path)).toEqual([]);
      await t.write((pieces - 1) * piece.length, piece, null);
      await until(async () => (await journaled(path)).length === 1, 'the save after 128 MiB');
      expect(await journaled(path)).toEqual([[0, JOURNAL_EVERY_BYTES]]);
    } finally {
      await t.close();
    }
  });

  it('shows each write to the tap while it runs, and a resumed open keeps what the journal lists', async () => {
    const timers = handTimers();
    const path = join(dir, 'resume.raw');
    const data = randomBytes(2 * MiB);
    const seen: Array<[number, number]> = [];
    const first = await JournaledTarget.open(path, { size: 4 * MiB, identity: 'd:4', layout: null, resume: true, timers });
    await first.write(2 * MiB, data, { add: (offset, bytes) => seen.push([offset, bytes.length]) });
    await first.close(); // an interrupted run: the journal is saved on close
    expect(seen).toEqual([[2 * MiB, 2 * MiB]]);

    const again = await JournaledTarget.open(path, { size: 4 * MiB, identity: 'd:4', layout: null, resume: true, timers });
    expect(again.done.toArray()).toEqual([{ start: 2 * MiB, end: 4 * MiB }]);
    await again.close();
    const otherDisk = await JournaledTarget.open(path, { size: 4 * MiB, identity: 'e:4', layout: null, resume: true, timers });
    expect(otherDisk.done.count).toBe(0);
    await otherDisk.close();
  });

  it('resumes a qcow2 target only into the same layout', async () => {
    const timers = handTimers();
    const path = join(dir, 'disk.qcow2');
    const size = 16 * MiB;
    const layout = qcow2Layout(size, [{ start: 0, length: 4 * MiB }]);
    const first = await JournaledTarget.open(path, { size, identity: 'd:16', layout, resume: true, timers });
    await first.write(0, randomBytes(MiB), null);
    await first.close();
    const same = await JournaledTarget.open(path, { size, identity: 'd:16', layout, resume: true, timers });
    expect(same.done.toArray()).toEqual([{ start: 0, end: MiB }]);
    await same.close();
    const other = qcow2Layout(size, [{ start: 0, length: 8 * MiB }]);
    const changed = await JournaledTarget.open(path, { size, identity: 'd:16', layout: other, resume: true, timers });
    expect(changed.done.count).toBe(0);
    await changed.close();
  });

  it('complete renames NAME.part to NAME and removes the journal', async () => {
    const timers = handTimers();
    const path = join(dir, 'done.raw');
    const data = randomBytes(MiB);
    const t = await JournaledTarget.open(path, { size: MiB, identity: 'd:1', layout: null, resume: true, timers });
    t.startSaving();
    await t.write(0, data, null);
    await t.complete();
    expect(timers.intervals.size).toBe(0);
    expect((await readFile(path)).equals(data)).toBe(true);
    await expect(stat(PartFile.partPath(path))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(PartFile.journalPath(path))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('forget drops the journal and keeps the part file: the next run starts from the beginning', async () => {
    const timers = handTimers();
    const path = join(dir, 'bad.raw');
    const t = await JournaledTarget.open(path, { size: 2 * MiB, identity: 'd:2', layout: null, resume: true, timers });
    await t.write(0, randomBytes(2 * MiB), null);
    await t.forget();
    await t.close(); // nothing left unsaved, so closing does not write the journal again
    await expect(stat(PartFile.journalPath(path))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(PartFile.partPath(path))).size).toBe(2 * MiB);
    const next = await JournaledTarget.open(path, { size: 2 * MiB, identity: 'd:2', layout: null, resume: true, timers });
    expect(next.done.count).toBe(0);
    await next.close();
  });
});
