import { open, realpath, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { asDiskFerryError } from '../errors.js';
import { backingLayer } from './backing-chain.js';
import { parseQcow2Header } from './probe.js';
import { Qcow2Reader } from './qcow2-reader.js';
import { ensureFileUnchanged, RawFileSource, type LocalExtent, type LocalImageSource } from './raw-source.js';

/** The top's L2 cache; the n-th layer gets 1/n of it, so a deep chain stays within a few times this. */
const TOP_L2_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * A local qcow2 file read as guest data, with no qemu: what an upload over a `format: raw` transfer
 * sends (protocol.md §4). Zero and unallocated clusters are zero extents, so they are skipped or
 * zeroed like the holes of a raw file. A qcow2 with a backing file is read with its whole chain,
 * collapsed (image/backing-chain.ts: names relative to each file's folder, qcow2 or raw layers, no
 * loops, a bounded depth): data and zero extents merged across the layers, holes stay holes.
 */
export class Qcow2FileSource implements LocalImageSource {
  private extentCache: Promise<LocalExtent[]> | null = null;

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    private readonly reader: Qcow2Reader,
    private readonly fileSize: number,
    private readonly mtimeMs: number,
    private readonly backing: LocalImageSource | null,
    /** This file, then the files of its backing chain, nearest first. */
    readonly files: readonly string[],
  ) {}

  /** Opens a qcow2 file with its backing chain; throws unsupported-image for a broken chain, encryption and damage. */
  static async open(path: string): Promise<Qcow2FileSource> {
    return Qcow2FileSource.openLayer(path, new Set(), basename(path), 1);
  }

  private static async openLayer(path: string, seen: Set<string>, topName: string, layers: number): Promise<Qcow2FileSource> {
    const fh = await open(path, 'r').catch((err: unknown) => {
      throw asDiskFerryError(err);
    });
    let backing: LocalImageSource | null = null;
    try {
      const st = await fh.stat();
      seen.add(await realpath(path));
      const head = Buffer.alloc(Math.min(st.size, 64 * 1024));
      await fh.read(head, 0, head.length, 0);
      const info = head.length >= 4 && head.readUInt32BE(0) === 0x514649fb ? parseQcow2Header(head, st.size, basename(path)) : null;
      if (info?.backingFile) {
        const layer = await backingLayer(path, info.backingFile, info.backingFormat, seen, topName);
        backing = layer.format === 'qcow2' ? await Qcow2FileSource.openLayer(layer.path, seen, topName, layers + 1) : await openRawLayer(layer.path);
      }
      const reader = await Qcow2Reader.open(
        { size: st.size, read: async (offset, buffer) => (await fh.read(buffer, 0, buffer.length, offset)).bytesRead },
        basename(path),
        { backing, l2CacheBytes: TOP_L2_CACHE_BYTES / layers },
      );
      const below = backing instanceof Qcow2FileSource ? backing.files : backing instanceof RawFileSource ? [backing.path] : [];
      return new Qcow2FileSource(fh, path, reader, st.size, st.mtimeMs, backing, [path, ...below]);
    } catch (err) {
      await backing?.close();
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

  /** The extent map (computed once: it walks every L2 table of every layer). */
  extents(options: { signal?: AbortSignal } = {}): Promise<LocalExtent[]> {
    this.extentCache ??= this.reader.extents(options);
    this.extentCache.catch(() => (this.extentCache = null));
    return this.extentCache;
  }

  /** Throws image-changed when this file or any file of its chain was modified since it was opened. */
  async checkUnchanged(): Promise<void> {
    await ensureFileUnchanged(this.path, this.fileSize, this.mtimeMs);
    await this.backing?.checkUnchanged();
  }

  async close(): Promise<void> {
    try {
      await this.backing?.close();
    } finally {
      await this.fh.close();
    }
  }
}

/** A raw backing file, read like a raw upload (file system holes, then a zero scan). */
function openRawLayer(path: string): Promise<RawFileSource> {
  return RawFileSource.open(path).catch((err: unknown) => {
    throw asDiskFerryError(err);
  });
}
