import { createHash } from 'node:crypto';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { RangeSet } from '../../../shared/range-set.js';
import { DiskFerryError, asDiskFerryError, errorCode } from '../errors.js';
import { removeStaleTemps, writeFileAtomic } from '../fs/atomic.js';
import { nodeFiles, type FilePort, type WritableFile } from '../fs/file-port.js';
import { isZero, ZERO_BLOCK } from '../image/zero-scan.js';
import { sparseFilesFor } from '../os/index.js';
import type { OpenFile, SparseFiles } from '../os/sparse-files.js';

/** The journal kept beside a `.part` file so an interrupted download fetches only what is missing. */
interface Journal {
  readonly version: 1;
  /** What the bytes belong to: a download resumes only into the same disk of the same size. */
  readonly identity: string;
  readonly size: number;
  /** Completed byte ranges [start, end). */
  readonly done: Array<[number, number]>;
  /** A hash of the fields above: a journal torn by a crash during an in-place rewrite never parses as valid. */
  readonly check?: string;
}

function journalCheck(j: Pick<Journal, 'identity' | 'size' | 'done'>): string {
  return createHash('sha256').update(JSON.stringify([j.identity, j.size, j.done])).digest('hex').slice(0, 16);
}

/**
 * The journal is padded with spaces (which JSON ignores) to a multiple of this size, so that on a
 * full disk it can still be rewritten in place, inside blocks the file already owns.
 */
const JOURNAL_BLOCK = 64 * 1024;

/**
 * A download target: `NAME.part` written at offsets (holes stay holes), a journal of completed
 * ranges in `NAME.part.journal`, and an atomic rename to NAME once every byte is there. A file that
 * is not complete never carries the final name.
 */
export class PartFile {
  readonly done: RangeSet;
  private dirty = false;
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    readonly finalPath: string,
    private readonly fh: WritableFile,
    private readonly files: FilePort,
    readonly size: number,
    private readonly identity: string,
    done: RangeSet,
    /** Created empty by this run: every byte not written yet is a hole, so zero blocks need no write. */
    private readonly fresh: boolean,
    private readonly sparse: SparseFiles,
  ) {
    this.done = done;
    this.native = fh.fd === undefined ? null : { path: PartFile.partPath(finalPath), fd: fh.fd };
  }

  /** The file as the OS port sees it; null when the file port gives no descriptor (then zeros are written). */
  private readonly native: OpenFile | null;

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
   * ranges; anything else starts from an empty sparse file. `sparse` is the OS port (this OS's by
   * default): it marks the file sparse before it is extended (NTFS needs that) and punches holes.
   */
  static async open(finalPath: string, size: number, identity: string, options: { resume: boolean; files?: FilePort; sparse?: SparseFiles }): Promise<PartFile> {
    const files = options.files ?? nodeFiles;
    const sparse = options.sparse ?? sparseFilesFor();
    const part = PartFile.partPath(finalPath);
    let done = new RangeSet();
    if (options.resume) {
      const journal = await readJournal(PartFile.journalPath(finalPath));
      const partSize = await stat(part).then((s) => s.size, () => -1);
      if (journal && journal.identity === identity && journal.size === size && partSize === size)
        done = RangeSet.from(journal.done.map(([start, end]) => ({ start, end })));
    }
    let fh: WritableFile | null = null;
    try {
      const fresh = done.count === 0;
      fh = await files.open(part, fresh ? 'w' : 'r+');
      // Before the file grows: on NTFS a file not marked sparse would hold its whole size. A file
      // system that cannot (FAT, exFAT) says no, and the file is simply written whole.
      if (fh.fd !== undefined) sparse.markSparse({ path: part, fd: fh.fd });
      await fh.truncate(size);
      const file = new PartFile(finalPath, fh, files, size, identity, done, fresh, sparse);
      // The journal exists from the start (its space reserved), so a disk that fills up later cannot
      // stop it from recording what was written.
      file.dirty = true;
      await file.saveJournal();
      return file;
    } catch (err) {
      await fh?.close().catch(() => {});
      throw asDiskFerryError(err);
    }
  }

  /**
   * Writes bytes at an offset of the partial file. All-zero 64 KiB blocks (aligned to absolute
   * offsets) become holes, so the result is sparse even when the server reports no extents (legacy
   * imageio): in a file this run created they are holes already and are skipped; a resumed file may
   * hold stale bytes there, so they are punched (or, where the file system cannot, written).
   */
  async write(offset: number, data: Buffer): Promise<void> {
    let run: { start: number; zero: boolean } | null = null;
    let pos = 0;
    while (pos < data.length) {
      const end = Math.min(data.length, (Math.floor((offset + pos) / ZERO_BLOCK) + 1) * ZERO_BLOCK - offset);
      const zero = isZero(data.subarray(pos, end));
      if (run && run.zero !== zero) {
        await this.writeRun(offset, data, run.start, pos, run.zero);
        run = null;
      }
      run ??= { start: pos, zero };
      pos = end;
    }
    if (run) await this.writeRun(offset, data, run.start, data.length, run.zero);
  }

  /** Writes data[from, to) at offset + from: data as it is; zeros as a hole where there can be one. */
  private async writeRun(offset: number, data: Buffer, from: number, to: number, zero: boolean): Promise<void> {
    if (zero && this.fresh) return;
    if (zero && this.native && this.sparse.punchHole(this.native, offset + from, to - from)) return;
    await this.writeAll(offset + from, data.subarray(from, to));
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

  /**
   * Persists the journal (after an fsync, so it never claims bytes that are not on disk). Saves run
   * one at a time, in call order: a periodic save and the final one never race to write an older list.
   */
  saveJournal(): Promise<void> {
    const next = this.saving.then(() => this.saveJournalNow());
    this.saving = next.catch(() => {});
    return next;
  }

  private async saveJournalNow(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      // The ranges are taken before the sync: writes still running meanwhile (the periodic save runs
      // beside the download) are recorded by the next save, after their own sync.
      const done = this.done.toArray().map((r): [number, number] => [r.start, r.end]);
      await this.fh.datasync();
      // What is synced is not read again: the page cache need not hold the whole image.
      if (this.native) this.sparse.dropCached(this.native, 0, 0);
      const journal: Journal = { version: 1, identity: this.identity, size: this.size, done, check: journalCheck({ identity: this.identity, size: this.size, done }) };
      const text = JSON.stringify(journal);
      const padded = text.padEnd(Math.max(1, Math.ceil(text.length / JOURNAL_BLOCK)) * JOURNAL_BLOCK, ' ');
      const path = PartFile.journalPath(this.finalPath);
      await writeFileAtomic(path, padded, { files: this.files }).catch(async (err: unknown) => {
        if (errorCode(err) !== 'ENOSPC' || !(await this.rewriteInPlace(path, padded))) throw err;
      });
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  /**
   * On a full disk: overwrites the journal in place when the new one fits in the old one's size, so no
   * new block is needed. A crash in the middle leaves a mix of old and new text that fails to parse
   * or fails its check, which the next run treats as no journal: it can lose the progress, never
   * claim bytes that are not there. Returns false when it does not fit.
   */
  private async rewriteInPlace(path: string, padded: string): Promise<boolean> {
    const current = await stat(path).then((s) => s.size, () => -1);
    const data = Buffer.from(padded);
    if (current < data.length) return false;
    const fh = await this.files.open(path, 'r+');
    try {
      for (let written = 0; written < data.length; ) written += (await fh.write(data, written, data.length - written, written)).bytesWritten;
      await fh.truncate(data.length);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    return true;
  }

  /** fsyncs, renames NAME.part to NAME and removes the journal. */
  async complete(): Promise<void> {
    await this.fh.sync();
    await this.fh.close();
    await rename(PartFile.partPath(this.finalPath), this.finalPath);
    await PartFile.removeJournal(this.finalPath);
  }

  /**
   * Removes the journal of a complete file, and the temporary journal files (`NAME.part.journal.<random>.tmp`)
   * a process killed in the middle of a journal save left behind: nothing reads them.
   */
  static async removeJournal(finalPath: string): Promise<void> {
    await rm(PartFile.journalPath(finalPath), { force: true });
    await removeStaleTemps(PartFile.journalPath(finalPath), 0);
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
    if (j.check !== undefined && j.check !== journalCheck(j)) return null;
    return j;
  } catch {
    return null;
  }
}

/**
 * Refuses to overwrite an existing complete file unless asked to; `howToGoOn` says what the user can
 * do instead (a download into a folder may also keep both).
 */
export async function ensureTargetFree(
  finalPath: string,
  overwrite: boolean,
  howToGoOn = 'Download to another folder, or choose to replace it or to keep both (--if-exists overwrite or rename on the command line).',
): Promise<void> {
  const exists = await stat(finalPath).then(() => true, () => false);
  if (exists && !overwrite)
    throw new DiskFerryError('bad-input', `${finalPath} already exists. ${howToGoOn}`, {
      retryable: false,
      subject: { kind: 'file', name: finalPath },
    });
}
