/**
 * The journal of an upload: the byte ranges the data server has made durable (a flush after them
 * succeeded), with the disk and transfer they went to and the stamp of the local file, so an
 * interrupted upload sends only the rest. One JSON file per local file and disk, in the folder
 * `TransferDeps.uploadJournals` names (the CLI: `<config folder>/uploads/`), rewritten atomically.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { RangeSet } from '../../../shared/range-set.js';
import { removeStaleTemps, writeFileAtomic } from '../fs/atomic.js';
import type { ImageStamp } from '../image/probe.js';
import { ImageStampSchema } from '../plan/upload-target.js';

const JournalSchema = z.object({
  version: z.literal(1),
  /** The local image, as an absolute path. */
  path: z.string(),
  /** The engine's URL, so `upload --resume` picks the journal of the engine it talks to. */
  engine: z.string().nullable(),
  diskId: z.string(),
  diskName: z.string(),
  /** The transfer of the run that wrote the journal last; null before it had one. */
  transferId: z.string().nullable(),
  /** The local file when the upload began: a file changed since is never resumed. */
  stamp: ImageStampSchema,
  /** `raw`: guest data over NBD; `file`: the file's bytes over the FILE backend. */
  wire: z.enum(['raw', 'file']),
  /** Bytes the transfer writes (the virtual size, or the file size on the FILE backend). */
  size: z.number().int().nonnegative(),
  /** Ranges [start, end) the server flushed. */
  done: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])),
  /** The run verified the data and asked the engine to finalize: a transfer gone with the disk ok is done. */
  finalizing: z.boolean(),
  /** A hash of the fields above, so a hand-edited or damaged journal is not trusted. */
  check: z.string(),
});
type JournalFile = z.infer<typeof JournalSchema>;

/** What an upload journal is about, fixed for its life. */
export interface UploadJournalIdentity {
  readonly path: string;
  readonly engine: string | null;
  readonly diskId: string;
  readonly diskName: string;
  readonly stamp: ImageStamp;
  readonly wire: 'raw' | 'file';
  readonly size: number;
}

function checkOf(j: Omit<JournalFile, 'check'>): string {
  return createHash('sha256')
    .update(JSON.stringify([j.path, j.engine, j.diskId, j.diskName, j.transferId, j.stamp, j.wire, j.size, j.done, j.finalizing]))
    .digest('hex')
    .slice(0, 16);
}

function fileKey(path: string): string {
  return createHash('sha256').update(resolve(path)).digest('hex').slice(0, 16);
}

/** Why a journal cannot be resumed with the file as it is now (`stamp`), or null when it can. */
export function journalMismatch(journal: Pick<UploadJournalIdentity, 'stamp' | 'path'>, stamp: ImageStamp): string | null {
  const was = journal.stamp;
  if (was.fileSize !== stamp.fileSize) return `${journal.path} changed since the upload began (${was.fileSize} bytes then, ${stamp.fileSize} now)`;
  if (was.mtimeMs !== stamp.mtimeMs) return `${journal.path} changed since the upload began (modified at ${new Date(stamp.mtimeMs).toISOString()})`;
  if (was.format !== stamp.format || was.virtualSize !== stamp.virtualSize) return `${journal.path} is no longer the image the upload began with`;
  return null;
}

/** One upload's journal: the flushed ranges, saved one save at a time, in call order. */
export class UploadJournal {
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;
  private removed = false;

  private constructor(
    readonly file: string,
    readonly identity: UploadJournalIdentity,
    /** Ranges the server flushed (this run's and the runs' before it). */
    readonly done: RangeSet,
    private transferId: string | null,
    private finalizingFlag: boolean,
  ) {}

  /** The journal file of `path` uploaded to `diskId` in `dir`. */
  static fileOf(dir: string, path: string, diskId: string): string {
    return join(dir, `${fileKey(path)}-${diskId}.json`);
  }

  /** A new, empty journal (replacing any other of the same file and disk); saved at once. */
  static async create(dir: string, identity: UploadJournalIdentity): Promise<UploadJournal> {
    const j = new UploadJournal(UploadJournal.fileOf(dir, identity.path, identity.diskId), { ...identity, path: resolve(identity.path) }, new RangeSet(), null, false);
    j.dirty = true;
    await j.save();
    return j;
  }

  /** The journal of `path` uploaded to `diskId`, or null when there is none or it does not parse. */
  static async load(dir: string, path: string, diskId: string): Promise<UploadJournal | null> {
    return UploadJournal.read(UploadJournal.fileOf(dir, path, diskId));
  }

  /**
   * Removes the journal of `path` on `diskId` and the temporary files a kill in the middle of a save
   * left beside it, whether or not it could be read (a kill during its first save leaves only those).
   */
  static async discard(dir: string, path: string, diskId: string): Promise<void> {
    const file = UploadJournal.fileOf(dir, path, diskId);
    await rm(file, { force: true });
    await removeStaleTemps(file, 0);
  }

  /** The journals of `path` in `dir` (any disk) of `engine`; for `upload --resume`. */
  static async find(dir: string, path: string, engine: string | null): Promise<UploadJournal[]> {
    const prefix = `${fileKey(path)}-`;
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith(prefix) && n.endsWith('.json'));
    const found: UploadJournal[] = [];
    for (const name of names) {
      const j = await UploadJournal.read(join(dir, name));
      if (j && (engine === null || j.identity.engine === null || j.identity.engine === engine)) found.push(j);
    }
    return found;
  }

  get lastTransferId(): string | null {
    return this.transferId;
  }

  /** Whether the run that wrote it had verified the data and begun finalize. */
  get finalizing(): boolean {
    return this.finalizingFlag;
  }

  /** Data bytes of `ranges` the journal lists as flushed. */
  coveredBytes(ranges: ReadonlyArray<{ readonly start: number; readonly length: number; readonly zero: boolean }>): number {
    let n = 0;
    for (const r of ranges) if (!r.zero) for (const d of this.done.within(r.start, r.start + r.length)) n += d.end - d.start;
    return n;
  }

  /** Starts over on the same disk: nothing is known to be on the server. */
  clear(): void {
    this.done.remove(0, Number.MAX_SAFE_INTEGER);
    this.finalizingFlag = false;
    this.dirty = true;
  }

  /** The transfer the data goes through now. */
  setTransfer(id: string): Promise<void> {
    if (this.transferId === id) return this.saving;
    this.transferId = id;
    this.dirty = true;
    return this.save();
  }

  /** Ranges a flush made durable; saved in the background (see save). */
  addFlushed(ranges: ReadonlyArray<{ readonly start: number; readonly length: number }>): void {
    for (const r of ranges) this.done.add(r.start, r.start + r.length);
    this.dirty = true;
    void this.save().catch(() => {});
  }

  /** The data verified, finalize next. */
  setFinalizing(): Promise<void> {
    this.finalizingFlag = true;
    this.dirty = true;
    return this.save();
  }

  /** Writes the journal when it changed (atomically); saves run one at a time, in call order. */
  save(): Promise<void> {
    const next = this.saving.then(() => this.saveNow());
    this.saving = next.catch(() => {});
    return next;
  }

  /** Removes the journal (after the saves in flight, so none writes it again). */
  async remove(): Promise<void> {
    this.removed = true;
    await this.saving;
    await rm(this.file, { force: true });
    await removeStaleTemps(this.file, 0);
  }

  private async saveNow(): Promise<void> {
    if (!this.dirty || this.removed) return;
    this.dirty = false;
    const id = this.identity;
    const body: Omit<JournalFile, 'check'> = {
      version: 1,
      path: id.path,
      engine: id.engine,
      diskId: id.diskId,
      diskName: id.diskName,
      transferId: this.transferId,
      stamp: { format: id.stamp.format, virtualSize: id.stamp.virtualSize, fileSize: id.stamp.fileSize, mtimeMs: id.stamp.mtimeMs },
      wire: id.wire,
      size: id.size,
      done: this.done.toArray().map((r): [number, number] => [r.start, r.end]),
      finalizing: this.finalizingFlag,
    };
    try {
      await writeFileAtomic(this.file, JSON.stringify({ ...body, check: checkOf(body) }));
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  private static async read(file: string): Promise<UploadJournal | null> {
    try {
      const parsed = JournalSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
      if (!parsed.success) return null;
      const { check, ...body } = parsed.data;
      if (check !== checkOf(body)) return null;
      const identity: UploadJournalIdentity = { path: body.path, engine: body.engine, diskId: body.diskId, diskName: body.diskName, stamp: body.stamp, wire: body.wire, size: body.size };
      const done = RangeSet.from(body.done.filter(([s, e]) => e > s && e <= body.size).map(([start, end]) => ({ start, end })));
      return new UploadJournal(file, identity, done, body.transferId, body.finalizing);
    } catch {
      return null;
    }
  }
}
