import { open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { RangeSet } from '../../../shared/range-set.js';
import { DiskFerryError, asDiskFerryError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { isZero, ZERO_BLOCK } from '../image/zero-scan.js';

/** The journal kept beside a `.part` file so an interrupted download fetches only what is missing. */
interface Journal {
  readonly version: 1;
  /** What the bytes belong to: a download resumes only into the same disk of the same size. */
  readonly identity: string;
  readonly size: number;
  /** Completed byte ranges [start, end). */
  readonly done: Array<[number, number]>;
}

/**
 * A download target: `NAME.part` written at offsets (holes stay holes), a journal of completed
 * ranges in `NAME.part.journal`, and an atomic rename to NAME once every byte is there. A file that
 * is not complete never carries the final name.
 */
export class PartFile {
  readonly done: RangeSet;
  private dirty = false;

  private constructor(
    readonly finalPath: string,
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly identity: string,
    done: RangeSet,
    /** Created empty by this run: every byte not written yet is a hole, so zero blocks need no write. */
    private readonly fresh: boolean,
  ) {
    this.done = done;
  }

  /** Path of the partial file. */
  static partPath(finalPath: string): string {
    return `${finalPath}.part`;
  }

  /** Path of the journal. */
  static journalPath(finalPath: string): string {
    return `${finalPath}.part.journal`;
  }

  /**
   * Opens the target. With `resume`, a matching journal (same identity and size) keeps its completed
   * ranges; anything else starts from an empty sparse file.
   */
  static async open(finalPath: string, size: number, identity: string, options: { resume: boolean }): Promise<PartFile> {
    const part = PartFile.partPath(finalPath);
    let done = new RangeSet();
    if (options.resume) {
      const journal = await readJournal(PartFile.journalPath(finalPath));
      const partSize = await stat(part).then((s) => s.size, () => -1);
      if (journal && journal.identity === identity && journal.size === size && partSize === size)
        done = RangeSet.from(journal.done.map(([start, end]) => ({ start, end })));
    }
    try {
      const fresh = done.count === 0;
      const fh = await open(part, fresh ? 'w' : 'r+');
      await fh.truncate(size);
      return new PartFile(finalPath, fh, size, identity, done, fresh);
    } catch (err) {
      throw asDiskFerryError(err);
    }
  }

  /**
   * Writes bytes at an offset of the partial file. In a file this run created, all-zero 64 KiB blocks
   * (aligned to absolute offsets) are left as holes, so the result is sparse even when the server
   * reports no extents (legacy imageio). A resumed file may hold stale bytes outside the journal, so
   * there every byte is written.
   */
  async write(offset: number, data: Buffer): Promise<void> {
    if (!this.fresh) return this.writeAll(offset, data);
    let runStart = -1;
    let pos = 0;
    while (pos < data.length) {
      const end = Math.min(data.length, (Math.floor((offset + pos) / ZERO_BLOCK) + 1) * ZERO_BLOCK - offset);
      const zero = isZero(data.subarray(pos, end));
      if (!zero && runStart < 0) runStart = pos;
      if (zero && runStart >= 0) {
        await this.writeAll(offset + runStart, data.subarray(runStart, pos));
        runStart = -1;
      }
      pos = end;
    }
    if (runStart >= 0) await this.writeAll(offset + runStart, data.subarray(runStart));
  }

  private async writeAll(offset: number, data: Buffer): Promise<void> {
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.fh.write(data, written, data.length - written, offset + written);
      written += bytesWritten;
    }
  }

  /** Records a completed range; saveJournal() persists it. */
  markDone(start: number, length: number): void {
    this.done.add(start, start + length);
    this.dirty = true;
  }

  /** Persists the journal (after an fsync, so it never claims bytes that are not on disk). */
  async saveJournal(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await this.fh.datasync();
    const journal: Journal = {
      version: 1,
      identity: this.identity,
      size: this.size,
      done: this.done.toArray().map((r) => [r.start, r.end]),
    };
    await writeFileAtomic(PartFile.journalPath(this.finalPath), JSON.stringify(journal));
  }

  /** fsyncs, renames NAME.part to NAME and removes the journal. */
  async complete(): Promise<void> {
    await this.fh.sync();
    await this.fh.close();
    await rename(PartFile.partPath(this.finalPath), this.finalPath);
    await rm(PartFile.journalPath(this.finalPath), { force: true });
  }

  /** Closes the file, keeping `.part` and the journal for a later resume. */
  async close(): Promise<void> {
    await this.saveJournal().catch(() => {});
    await this.fh.close().catch(() => {});
  }
}

async function readJournal(path: string): Promise<Journal | null> {
  try {
    const j = JSON.parse(await readFile(path, 'utf8')) as Journal;
    if (j.version !== 1 || !Array.isArray(j.done)) return null;
    return j;
  } catch {
    return null;
  }
}

/** Refuses to overwrite an existing complete file unless asked to. */
export async function ensureTargetFree(finalPath: string, overwrite: boolean): Promise<void> {
  const exists = await stat(finalPath).then(() => true, () => false);
  if (exists && !overwrite)
    throw new DiskFerryError('bad-input', `${finalPath} already exists. Choose another folder or name, or pass --overwrite to replace it.`, {
      retryable: false,
    });
}
