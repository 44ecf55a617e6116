import { open, rm, mkdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { RangeSet, type ByteRange } from '../../shared/range-set.js';

/** Granularity of zero detection on writes, like qemu's detect_zeroes on a 64 KiB cluster. */
const ZERO_DETECT_BLOCK = 64 * 1024;
const ZERO_BLOCK = Buffer.alloc(ZERO_DETECT_BLOCK);

/** One extent as imageio reports it for context=zero. */
export interface ZeroExtent {
  readonly start: number;
  readonly length: number;
  readonly zero: boolean;
  readonly hole: boolean;
}

/**
 * Bytes a volume holds without storing them: fills `target` with the content of
 * [offset, offset + target.length). The seeded disks' deterministic data (engine/seed-content.ts).
 */
export type GeneratedContent = (offset: number, target: Buffer) => void;

/**
 * A simulated volume: a sparse file plus an exact map of the ranges that hold data. Bytes outside the
 * map read as zeros without touching the file, so zeroing a range is O(log n) and extents are exact
 * on every OS (Node has no SEEK_DATA/SEEK_HOLE).
 *
 * Seeded data is not written to the file: its ranges (`generated`) read from the generator until a
 * client writes or zeroes over them. Every simulator start seeds ~234 MiB; writing it cost ~1.3 s of
 * CPU per start (generating it, and the kernel's first writes into fresh page-cache pages), which
 * the test suite paid for each of its few hundred simulators.
 */
export class SimImage {
  readonly path: string;
  size: number;
  /** Ranges holding data written by a client or by the seed; the rest reads as zeros. */
  readonly data = new RangeSet();
  /** Ranges written or zeroed since the last checkpoint (what NBD's qemu:dirty-bitmap reports). */
  dirty = new RangeSet();
  /** Ranges written or zeroed while this volume was the top layer (a qcow2 layer's own clusters). */
  layer = new RangeSet();
  /** Dirty bitmaps by checkpoint id: each records every write since its checkpoint was taken. */
  readonly bitmaps = new Map<string, RangeSet>();
  /** Bytes written to the image so far (seed and clients alike): what tests count a resume by. */
  bytesWritten = 0;
  private handle: Promise<FileHandle> | null = null;
  /** The data ranges whose bytes come from `generator`, not the file. */
  private readonly generated = new RangeSet();
  private generator: GeneratedContent | null = null;

  constructor(path: string, size: number) {
    this.path = path;
    this.size = size;
  }

  private fh(): Promise<FileHandle> {
    // Cache the promise, not the handle, so concurrent first calls share one open().
    this.handle ??= open(this.path, 'r+');
    return this.handle;
  }

  /**
   * Gives [start, end) the generator's content, as if it had been written (data, dirty, layer and
   * the written-bytes count record it); one generator per image.
   */
  generate(start: number, end: number, content: GeneratedContent): void {
    if (this.generator !== null && this.generator !== content) throw new Error('an image has one content generator');
    this.generator = content;
    this.generated.add(start, end);
    this.data.add(start, end);
    this.touched(start, end);
    this.bytesWritten += end - start;
  }

  /** Gives `other` this image's generated ranges, with the same content. */
  copyGeneratedTo(other: SimImage): void {
    for (const g of this.generated.toArray()) other.generate(g.start, g.end, this.generator!);
  }

  /** The data ranges held in the file (data that is not generated). */
  storedRanges(): ByteRange[] {
    return this.data.toArray().flatMap((r) => [...this.generated.gaps(r.start, r.end)]);
  }

  /** Reads [offset, offset+length) of the image into `target` (zeros outside the data map). */
  async readInto(offset: number, target: Buffer): Promise<void> {
    const end = offset + target.length;
    target.fill(0);
    // Snapshot the ranges: a concurrent write may change the map while we await reads.
    const generated = [...this.generated.within(offset, end)];
    for (const g of generated) this.generator!(g.start, target.subarray(g.start - offset, g.end - offset));
    const stored = [...this.data.within(offset, end)].flatMap((r) => (generated.length === 0 ? [r] : [...this.generated.gaps(r.start, r.end)]));
    for (const r of stored) {
      const fh = await this.fh();
      let done = 0;
      const len = r.end - r.start;
      while (done < len) {
        const { bytesRead } = await fh.read(target, r.start - offset + done, len - done, r.start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    }
  }

  /** Reads a range into a new buffer. */
  async read(offset: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    await this.readInto(offset, buf);
    return buf;
  }

  /**
   * Writes bytes at offset. Aligned all-zero 64 KiB blocks are recorded as zero instead of data
   * (what qemu-nbd does with detect-zeroes), so a raw upload of zeros still reads back as zero extents.
   */
  async write(offset: number, buf: Uint8Array): Promise<void> {
    const fh = await this.fh();
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await fh.write(buf, done, buf.length - done, offset + done);
      done += bytesWritten;
    }
    this.data.add(offset, offset + buf.length);
    this.generated.remove(offset, offset + buf.length);
    this.touched(offset, offset + buf.length);
    this.bytesWritten += buf.length;
    const firstBlock = Math.ceil(offset / ZERO_DETECT_BLOCK) * ZERO_DETECT_BLOCK;
    for (let b = firstBlock; b + ZERO_DETECT_BLOCK <= offset + buf.length; b += ZERO_DETECT_BLOCK) {
      const slice = buf.subarray(b - offset, b - offset + ZERO_DETECT_BLOCK);
      if (ZERO_BLOCK.equals(slice)) this.data.remove(b, b + ZERO_DETECT_BLOCK);
    }
    if (offset + buf.length > this.size) this.size = offset + buf.length;
  }

  /** Zeroes a range: it leaves the data map, so it reads as zeros and reports as a zero extent. */
  zero(offset: number, length: number): void {
    this.data.remove(offset, offset + length);
    this.generated.remove(offset, offset + length);
    this.touched(offset, offset + length);
  }

  /** Records a write or zero of [start, end) in the dirty map, the layer and every bitmap. */
  private touched(start: number, end: number): void {
    this.dirty.add(start, end);
    this.layer.add(start, end);
    for (const bitmap of this.bitmaps.values()) bitmap.add(start, end);
  }

  /** Starts a new checkpoint: nothing is dirty any more. */
  checkpoint(): void {
    this.dirty = new RangeSet();
  }

  /** Persists written data (fsync). */
  async flush(): Promise<void> {
    if (this.handle) await (await this.handle).sync();
  }

  /** The zero-context extents of the whole image, merged, as the NBD backend reports them. */
  extents(): ZeroExtent[] {
    const out: ZeroExtent[] = [];
    let pos = 0;
    for (const r of this.data.within(0, this.size)) {
      if (r.start > pos) out.push({ start: pos, length: r.start - pos, zero: true, hole: false });
      out.push({ start: r.start, length: r.end - r.start, zero: false, hole: false });
      pos = r.end;
    }
    if (pos < this.size) out.push({ start: pos, length: this.size - pos, zero: true, hole: false });
    return out;
  }

  /** Closes the file. */
  async close(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    await (await h)?.close();
  }
}

/** All simulated volumes, as sparse files under one directory. */
export class ImageStore {
  readonly dir: string;
  private readonly images = new Map<string, SimImage>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Creates an empty (all-zero) sparse image. */
  async create(id: string, size: number): Promise<SimImage> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `${id}.img`);
    const fh = await open(path, 'w');
    await fh.truncate(size);
    await fh.close();
    const image = new SimImage(path, size);
    this.images.set(id, image);
    return image;
  }

  /** The image of a volume id, if any. */
  get(id: string): SimImage | undefined {
    return this.images.get(id);
  }

  /**
   * A point-in-time copy of `source` under `id` (a snapshot volume or a backup export): the same
   * bytes and layer map, and `dirty` set to the given map (empty when absent).
   */
  async copy(source: SimImage, id: string, dirty?: RangeSet): Promise<SimImage> {
    const image = await this.create(id, source.size);
    const chunk = 4 * 1024 * 1024;
    // Generated ranges stay generated (the same bytes, nothing to write); stored data is copied.
    const stored = source.storedRanges();
    source.copyGeneratedTo(image);
    for (const r of stored) {
      for (let off = r.start; off < r.end; off += chunk) await image.write(off, await source.read(off, Math.min(chunk, r.end - off)));
    }
    image.layer = RangeSet.from(source.layer.toArray());
    image.dirty = dirty ? RangeSet.from(dirty.toArray()) : new RangeSet();
    return image;
  }

  /** Deletes an image and its file. */
  async delete(id: string): Promise<void> {
    const image = this.images.get(id);
    if (!image) return;
    this.images.delete(id);
    await image.close();
    await rm(image.path, { force: true });
  }

  /** Closes every file (the files stay). */
  async close(): Promise<void> {
    await Promise.all([...this.images.values()].map((i) => i.close()));
  }
}
