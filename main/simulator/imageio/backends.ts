import type { ImageStore, SimImage, ZeroExtent } from '../image-store.js';
import { HttpError, SERVER_FAILED } from './http-errors.js';

/** Zeroing runs in steps of this size, like ops.py::Zero.MAX_STEP. */
export const ZERO_STEP = 128 * 1024 * 1024;

/** One extent of context=dirty. */
export interface DirtyExtent {
  readonly start: number;
  readonly length: number;
  readonly dirty: boolean;
  readonly zero: boolean;
}

/** errors.UnsupportedOperation: extents answers it as 404 `Operation not supported: <reason>`. */
export class UnsupportedOperation extends Error {
  constructor(reason: string) {
    super(`Operation not supported: ${reason}`);
  }
}

/** What a handler does with an image, whatever the ticket url scheme. */
export interface Backend {
  readonly name: 'nbd' | 'file';
  readonly maxReaders: number;
  readonly maxWriters: number;
  size(): number;
  readInto(offset: number, target: Buffer): Promise<void>;
  write(offset: number, data: Buffer): Promise<void>;
  zero(offset: number, length: number): Promise<void>;
  flush(): Promise<void>;
  zeroExtents(): ZeroExtent[];
  dirtyExtents(): DirtyExtent[];
  /** False when [start, end) certainly reads as zeros, so checksum can skip reading it. */
  mayHoldData(start: number, end: number): boolean;
}

/** Splits [0, size) at every boundary of the data and dirty maps and merges equal neighbours. */
function dirtyExtentsOf(image: SimImage): DirtyExtent[] {
  const size = image.size;
  const cuts = new Set<number>([0, size]);
  for (const r of image.data.within(0, size)) cuts.add(r.start).add(r.end);
  for (const r of image.dirty.within(0, size)) cuts.add(r.start).add(r.end);
  const points = [...cuts].sort((a, b) => a - b);
  const out: DirtyExtent[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i]!;
    const end = points[i + 1]!;
    const dirty = image.dirty.covers(start, end);
    const zero = !image.data.intersects(start, end);
    const last = out[out.length - 1];
    if (last && last.dirty === dirty && last.zero === zero) out[out.length - 1] = { ...last, length: end - last.start };
    else out.push({ start, length: end - start, dirty, zero });
  }
  return out;
}

/**
 * Zero extents of a shallow export (qemu-nbd without the backing chain): this layer's own clusters
 * are data or zero, everything else is a hole that reads as zeros.
 */
function shallowExtentsOf(image: SimImage): ZeroExtent[] {
  const size = image.size;
  const cuts = new Set<number>([0, size]);
  for (const r of image.layer.within(0, size)) cuts.add(r.start).add(r.end);
  for (const r of image.data.within(0, size)) cuts.add(r.start).add(r.end);
  const points = [...cuts].sort((a, b) => a - b);
  const out: ZeroExtent[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i]!;
    const end = points[i + 1]!;
    const hole = !image.layer.intersects(start, end);
    const zero = hole || !image.data.intersects(start, end);
    const last = out[out.length - 1];
    if (last && last.zero === zero && last.hole === hole) out[out.length - 1] = { ...last, length: end - last.start };
    else out.push({ start, length: end - start, zero, hole });
  }
  return out;
}

/** The NBD backend (transfer format raw): guest data, real extents, bounded by the export size. */
class NbdBackend implements Backend {
  readonly name = 'nbd';
  readonly maxReaders = 8;
  readonly maxWriters = 8;
  /** `shallow`: only this layer's clusters, the rest reads as zeros and reports as holes. */
  constructor(
    private readonly image: SimImage,
    private readonly shallow = false,
  ) {}

  size(): number {
    return this.image.size;
  }

  async readInto(offset: number, target: Buffer): Promise<void> {
    await this.image.readInto(offset, target);
    if (!this.shallow) return;
    // Mask what lies outside this layer: without its backing chain the layer reads as zeros there.
    let pos = offset;
    const end = offset + target.length;
    for (const r of this.image.layer.within(offset, end)) {
      if (r.start > pos) target.fill(0, pos - offset, r.start - offset);
      pos = r.end;
    }
    if (pos < end) target.fill(0, pos - offset, end - offset);
  }

  private checkBounds(offset: number, length: number): void {
    // qemu-nbd refuses I/O past the export; imageio masks the NBD error as a 500.
    if (offset + length > this.image.size) throw new HttpError(500, SERVER_FAILED);
  }

  write(offset: number, data: Buffer): Promise<void> {
    this.checkBounds(offset, data.length);
    return this.image.write(offset, data);
  }

  async zero(offset: number, length: number): Promise<void> {
    this.checkBounds(offset, length);
    this.image.zero(offset, length);
  }

  flush(): Promise<void> {
    return this.image.flush();
  }

  zeroExtents(): ZeroExtent[] {
    return this.shallow ? shallowExtentsOf(this.image) : this.image.extents();
  }

  dirtyExtents(): DirtyExtent[] {
    return dirtyExtentsOf(this.image);
  }

  mayHoldData(start: number, end: number): boolean {
    return this.image.data.intersects(start, end) && (!this.shallow || this.image.layer.intersects(start, end));
  }
}

/** The file backend (format cow): host bytes, one fake data extent, a single writer. */
class FileBackend implements Backend {
  readonly name = 'file';
  readonly maxReaders = 8;
  readonly maxWriters = 1;
  constructor(private readonly image: SimImage) {}

  size(): number {
    return this.image.size;
  }

  readInto(offset: number, target: Buffer): Promise<void> {
    return this.image.readInto(offset, target);
  }

  write(offset: number, data: Buffer): Promise<void> {
    return this.image.write(offset, data);
  }

  async zero(offset: number, length: number): Promise<void> {
    this.image.zero(offset, length);
    // Zeroing past the end of a regular file extends it (fallocate without KEEP_SIZE).
    if (offset + length > this.image.size) this.image.size = offset + length;
  }

  flush(): Promise<void> {
    return this.image.flush();
  }

  zeroExtents(): ZeroExtent[] {
    // backends/file.py::extents: always one data extent, even though OPTIONS advertises "extents".
    return [{ start: 0, length: this.image.size, zero: false, hole: false }];
  }

  dirtyExtents(): DirtyExtent[] {
    throw new UnsupportedOperation('Backend file does not support dirty extents');
  }

  mayHoldData(): boolean {
    // The file backend knows no extents, so it reads every block (zero detection happens after).
    return true;
  }
}

/**
 * Opens the backend of a daemon ticket url: `nbd:sim:<volumeId>[?shallow]` or `file:sim:<volumeId>`.
 * Anything else, or a missing volume, is the backend failure imageio reports as 500.
 */
export function openBackend(url: string, images: ImageStore): Backend {
  const m = /^(nbd|file):sim:([^?]+)(\?shallow)?$/.exec(url);
  const image = m ? images.get(m[2]!) : undefined;
  if (!m || !image) throw new HttpError(500, SERVER_FAILED);
  return m[1] === 'nbd' ? new NbdBackend(image, m[3] !== undefined) : new FileBackend(image);
}
