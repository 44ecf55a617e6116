import { rm } from 'node:fs/promises';
import type { RangeSet } from '../../../shared/range-set.js';
import type { FilePort } from '../fs/file-port.js';
import type { Qcow2Layout } from '../image/qcow2-layout.js';
import { Qcow2PartTarget, type PartTarget } from '../image/qcow2-writer.js';
import type { SparseFiles } from '../os/sparse-files.js';
import type { Timers } from '../timers.js';
import { PartFile } from './part-file.js';

/** Bytes written between two journal saves (besides the timer). */
export const JOURNAL_EVERY_BYTES = 128 * 1024 * 1024;

/** Milliseconds between two journal saves while a download writes. */
export const JOURNAL_EVERY_MS = 2000;

/** Sees the bytes of each write while it is in flight (the download's checksum). */
export interface WriteTap {
  add(offset: number, data: Uint8Array): void;
}

/**
 * The file a download writes: `NAME.part` (raw, or a qcow2 of the given layout) with its journal of
 * done ranges, written one piece at a time, the journal saved (each time after an fdatasync, inside
 * PartFile) every 2 s and every 128 MiB written, so the data reaches the disk while the download runs
 * and an interrupted run keeps every piece on disk; renamed to NAME only when complete.
 */
export class JournaledTarget {
  private lastWrite: Promise<unknown> = Promise.resolve();
  private unsaved = 0;
  private saving = false;
  private timer: unknown = null;

  private constructor(
    readonly finalPath: string,
    private readonly part: PartTarget,
    private readonly timers: Timers,
  ) {}

  /**
   * Opens `NAME.part` for guest data of `size` bytes. With `resume`, a journal of the same identity
   * keeps what it lists; a qcow2 target resumes only into the same layout (its id is in the identity).
   */
  static async open(
    finalPath: string,
    options: {
      readonly size: number;
      readonly identity: string;
      readonly layout: Qcow2Layout | null;
      readonly resume: boolean;
      readonly files?: FilePort;
      readonly sparse?: SparseFiles;
      readonly timers: Timers;
    },
  ): Promise<JournaledTarget> {
    const { layout } = options;
    const identity = layout ? `${options.identity}:qcow2:${layout.id}` : options.identity;
    const file = await PartFile.open(finalPath, layout?.fileSize ?? options.size, identity, {
      resume: options.resume,
      ...(options.files ? { files: options.files } : {}),
      ...(options.sparse ? { sparse: options.sparse } : {}),
    });
    try {
      return new JournaledTarget(finalPath, layout ? await Qcow2PartTarget.attach(file, layout) : file, options.timers);
    } catch (err) {
      await file.close(); // writing the qcow2 metadata failed: the file is closed, its journal kept
      throw err;
    }
  }

  /** Guest byte ranges on disk (or in flight) and recorded for the journal. */
  get done(): RangeSet {
    return this.part.done;
  }

  /** Starts saving the journal every 2 s. */
  startSaving(): void {
    if (this.timer !== null) return;
    this.timer = this.timers.setInterval(() => void this.part.saveJournal().catch(() => {}), JOURNAL_EVERY_MS);
  }

  /** Stops the periodic save. */
  stopSaving(): void {
    if (this.timer !== null) this.timers.clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Writes guest bytes at their offset and records them; `tap` sees them while the write runs. Every
   * piece is recorded, not just whole ranges: a range can be 128 MiB (or the whole image on a legacy
   * server), and an interrupted run must keep what it already has.
   */
  async write(offset: number, data: Buffer, tap: WriteTap | null): Promise<void> {
    // One positional write at a time: ext4 serialises buffered writes to a file anyway, and parallel
    // writers stalled each other (one the kernel throttles sleeps holding the lock). The write is
    // queued first, so hashing on this thread overlaps the copy into the file (both only read `data`,
    // which stays ours until this function returns).
    const written = this.lastWrite.then(() => this.part.write(offset, data));
    this.lastWrite = written.catch(() => {});
    try {
      tap?.add(offset, data);
    } finally {
      await written;
    }
    this.markDone(offset, data.length);
    this.unsaved += data.length;
    if (this.unsaved >= JOURNAL_EVERY_BYTES && !this.saving) {
      this.unsaved = 0;
      this.saving = true;
      void this.part
        .saveJournal()
        .catch(() => {})
        .finally(() => (this.saving = false));
    }
  }

  /** Records a range as done without writing it (zero ranges stay holes; whole ranges a download finished). */
  markDone(start: number, length: number): void {
    this.part.markDone(start, length);
  }

  /** Saves the journal now (after an fdatasync of the data); saves run one at a time, in call order. */
  save(): Promise<void> {
    return this.part.saveJournal();
  }

  /**
   * Drops the journal (after the saves in flight, so none rewrites it): the `.part` file stays, but
   * the next run starts from the beginning instead of resuming from it.
   */
  async forget(): Promise<void> {
    await this.part.saveJournal();
    await rm(PartFile.journalPath(this.finalPath), { force: true });
  }

  /** fsyncs, renames `NAME.part` to NAME and removes the journal. */
  async complete(): Promise<void> {
    this.stopSaving();
    await this.part.complete();
  }

  /** Stops saving and closes the file, keeping `.part` and its journal for a later resume. */
  async close(): Promise<void> {
    this.stopSaving();
    await this.part.close();
  }
}
