import { open, stat, type FileHandle } from 'node:fs/promises';
import type { ByteRange } from '../../../shared/range-set.js';
import { DiskFerryError } from '../errors.js';
import { sparseFilesFor } from '../os/index.js';
import type { SparseFiles } from '../os/sparse-files.js';
import { scanDataRanges } from './zero-scan.js';

/** One extent of a local image's guest data (the shape imageio uses). */
export interface LocalExtent {
  readonly start: number;
  readonly length: number;
  readonly zero: boolean;
}

/** Guest data of a local image: positional reads plus where its data is. */
export interface LocalImageSource {
  /** Guest-visible size in bytes. */
  readonly size: number;
  /** Reads up to buffer.length bytes at a guest offset; returns how many (0 only past the end). */
  read(offset: number, buffer: Buffer): Promise<number>;
  /** Data and zero extents covering [0, size), merged. */
  extents(options?: { signal?: AbortSignal }): Promise<LocalExtent[]>;
  /** Throws image-changed when the file was modified since it was opened. */
  checkUnchanged(): Promise<void>;
  close(): Promise<void>;
}

/** Throws image-changed when the file's size or modification time differs from what was opened. */
export async function ensureFileUnchanged(path: string, size: number, mtimeMs: number): Promise<void> {
  const st = await stat(path);
  if (st.size !== size || st.mtimeMs !== mtimeMs)
    throw new DiskFerryError(
      'image-changed',
      `${path} changed while it was being uploaded (size or modification time differs). Stop whatever writes to it, then upload it again.`,
      { retryable: false },
    );
}

/** Turns sorted data ranges into extents covering [0, size). */
function rangesToExtents(data: readonly ByteRange[], size: number): LocalExtent[] {
  const out: LocalExtent[] = [];
  let pos = 0;
  for (const r of data) {
    if (r.start > pos) out.push({ start: pos, length: r.start - pos, zero: true });
    out.push({ start: r.start, length: r.end - r.start, zero: false });
    pos = r.end;
  }
  if (pos < size) out.push({ start: pos, length: size - pos, zero: true });
  return out;
}

/**
 * A raw (or ISO) file read as guest data. Extents come from the file system where it can tell
 * (SEEK_DATA / SEEK_HOLE on Linux and macOS, FSCTL_QUERY_ALLOCATED_RANGES on Windows: the OS port),
 * so holes are never read; the allocated parts are then scanned for zero blocks at memory speed.
 */
export class RawFileSource implements LocalImageSource {
  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    readonly size: number,
    private readonly mtimeMs: number,
    private readonly sparse: SparseFiles,
  ) {}

  /** Opens a raw file for reading; `sparse` is the OS port that maps its data (this OS's by default). */
  static async open(path: string, sparse: SparseFiles = sparseFilesFor()): Promise<RawFileSource> {
    const fh = await open(path, 'r');
    const st = await fh.stat();
    return new RawFileSource(fh, path, st.size, st.mtimeMs, sparse);
  }

  async read(offset: number, buffer: Buffer): Promise<number> {
    let got = 0;
    while (got < buffer.length && offset + got < this.size) {
      const { bytesRead } = await this.fh.read(buffer, got, Math.min(buffer.length - got, this.size - offset - got), offset + got);
      if (bytesRead === 0) {
        await this.checkUnchanged();
        throw new DiskFerryError('image-changed', `${this.path} became shorter while it was being uploaded. Upload it again once nothing writes to it.`, { subject: { kind: 'file', name: this.path } });
      }
      got += bytesRead;
    }
    return got;
  }

  async extents(options: { signal?: AbortSignal } = {}): Promise<LocalExtent[]> {
    const allocated = this.sparse.dataRanges({ path: this.path, fd: this.fh.fd }, this.size) ?? [{ start: 0, end: this.size }];
    const data = await scanDataRanges(this.fh, allocated, options.signal ? { signal: options.signal } : {});
    return rangesToExtents(data, this.size);
  }

  checkUnchanged(): Promise<void> {
    return ensureFileUnchanged(this.path, this.size, this.mtimeMs);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
