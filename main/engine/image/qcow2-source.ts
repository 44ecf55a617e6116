import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { asDiskFerryError } from '../errors.js';
import { Qcow2Reader } from './qcow2-reader.js';
import { ensureFileUnchanged, type LocalExtent, type LocalImageSource } from './raw-source.js';

/**
 * A local qcow2 file read as guest data, with no qemu: what an upload over a `format: raw` transfer
 * sends (protocol.md §4). Zero and unallocated clusters are zero extents, so they are skipped or
 * zeroed like the holes of a raw file.
 */
export class Qcow2FileSource implements LocalImageSource {
  private extentCache: Promise<LocalExtent[]> | null = null;

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    private readonly reader: Qcow2Reader,
    private readonly fileSize: number,
    private readonly mtimeMs: number,
  ) {}

  /** Opens a qcow2 file; throws unsupported-image for backing files, encryption and damage. */
  static async open(path: string): Promise<Qcow2FileSource> {
    const fh = await open(path, 'r').catch((err: unknown) => {
      throw asDiskFerryError(err);
    });
    try {
      const st = await fh.stat();
      const reader = await Qcow2Reader.open(
        { size: st.size, read: async (offset, buffer) => (await fh.read(buffer, 0, buffer.length, offset)).bytesRead },
        basename(path),
      );
      return new Qcow2FileSource(fh, path, reader, st.size, st.mtimeMs);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Guest-visible size. */
  get size(): number {
    return this.reader.size;
  }

  read(offset: number, buffer: Buffer): Promise<number> {
    return this.reader.read(offset, buffer);
  }

  /** The extent map (computed once: it walks every L2 table). */
  extents(options: { signal?: AbortSignal } = {}): Promise<LocalExtent[]> {
    this.extentCache ??= this.reader.extents(options);
    this.extentCache.catch(() => (this.extentCache = null));
    return this.extentCache;
  }

  checkUnchanged(): Promise<void> {
    return ensureFileUnchanged(this.path, this.fileSize, this.mtimeMs);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
