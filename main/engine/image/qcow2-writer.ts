/**
 * Writes guest data as a sparse qcow2 v3 file (downloads with --format qcow2, backups: there with a
 * backing file and zero clusters, see qcow2-layout.ts). The metadata is
 * written once, when the file is created, from a layout fixed up front (qcow2-layout.ts); after that
 * a guest write is only arithmetic plus a positional write, so parallel workers need no locking.
 */
import type { RangeSet } from '../../../shared/range-set.js';
import { DiskFerryError } from '../errors.js';
import { hostSegments, type Qcow2Layout } from './qcow2-layout.js';

/** Positional writes into the container file. */
export interface HostFile {
  write(offset: number, data: Buffer): Promise<void>;
}

/** The partial download file the writer sits on (PartFile has this shape): journal in guest offsets. */
export interface PartTarget extends HostFile {
  readonly done: RangeSet;
  markDone(start: number, length: number): void;
  saveJournal(): Promise<void>;
  complete(): Promise<void>;
  close(): Promise<void>;
}

const COPIED = 0x80000000; // bit 63 of L1/L2 entries: refcount is exactly one (qemu-img check wants it)
const ZERO_FLAG = 1; // bit 0 of an L2 entry (v3): the cluster reads as zeros, whatever the backing file holds
const TWO_32 = 2 ** 32;
/** Header extension: the backing file's format. */
const EXT_BACKING_FORMAT = 0xe2792aca;
const HEADER_LENGTH = 112;

function writeEntry(buf: Buffer, at: number, offset: number, flags: number): void {
  buf.writeUInt32BE((flags | Math.floor(offset / TWO_32)) >>> 0, at);
  buf.writeUInt32BE(offset % TWO_32, at + 4);
}

/**
 * The header cluster: v3, no encryption, 16-bit refcounts, deflate. With a backing file: its name
 * after the header extensions (which then name its format, qcow2), as qemu-img create -b -F writes it.
 */
export function qcow2Header(layout: Qcow2Layout): Buffer {
  const C = layout.clusterSize;
  const h = Buffer.alloc(C);
  h.writeUInt32BE(0x514649fb, 0);
  h.writeUInt32BE(3, 4);
  if (layout.backingFile !== null) {
    const format = Buffer.from('qcow2');
    const padded = Math.ceil(format.length / 8) * 8;
    h.writeUInt32BE(EXT_BACKING_FORMAT, HEADER_LENGTH);
    h.writeUInt32BE(format.length, HEADER_LENGTH + 4);
    format.copy(h, HEADER_LENGTH + 8);
    // Then the end-of-extensions marker (8 zero bytes), then the name.
    const nameAt = HEADER_LENGTH + 8 + padded + 8;
    const name = Buffer.from(layout.backingFile);
    name.copy(h, nameAt);
    h.writeBigUInt64BE(BigInt(nameAt), 8);
    h.writeUInt32BE(name.length, 16);
  }
  h.writeUInt32BE(layout.clusterBits, 20);
  h.writeBigUInt64BE(BigInt(layout.virtualSize), 24);
  h.writeUInt32BE(layout.l1Entries, 36);
  h.writeBigUInt64BE(BigInt(layout.l1Cluster * C), 40);
  h.writeBigUInt64BE(BigInt(layout.refcountTableCluster * C), 48);
  h.writeUInt32BE(layout.refcountTableClusters, 56);
  h.writeUInt32BE(4, 96); // refcount_order: 16-bit refcounts
  h.writeUInt32BE(HEADER_LENGTH, 100); // header_length, with the compression type byte (0: deflate) and padding
  // Header extensions start at 112; zeros there are the end-of-extensions marker.
  return h;
}

/** Writes header, L1 table, refcount table and blocks, and the L2 tables (one table in memory at a time). */
async function writeQcow2Metadata(file: HostFile, layout: Qcow2Layout): Promise<void> {
  const C = layout.clusterSize;
  await file.write(0, qcow2Header(layout));

  const l1 = Buffer.alloc(layout.l1Clusters * C);
  for (const [index, cluster] of layout.l2Tables) writeEntry(l1, index * 8, cluster * C, COPIED);
  await file.write(layout.l1Cluster * C, l1);

  const table = Buffer.alloc(layout.refcountTableClusters * C);
  for (let k = 0; k < layout.refcountBlocks; k++) writeEntry(table, k * 8, (layout.refcountBlockCluster + k) * C, 0);
  await file.write(layout.refcountTableCluster * C, table);
  const perBlock = C / 2;
  const block = Buffer.alloc(C);
  for (let k = 0; k < layout.refcountBlocks; k++) {
    const count = Math.min(perBlock, layout.totalClusters - k * perBlock);
    block.fill(0);
    for (let i = 0; i < count; i++) block.writeUInt16BE(1, i * 2);
    await file.write((layout.refcountBlockCluster + k) * C, block);
  }

  // Runs (data and zero) go in guest order, so L2 tables come out one after another.
  const l2Entries = C / 8;
  let current = -1;
  const l2 = Buffer.alloc(C);
  const flush = async () => {
    if (current >= 0) await file.write(layout.l2Tables.get(current)! * C, l2);
    l2.fill(0);
  };
  for (const run of guestOrder(layout)) {
    for (let i = 0; i < run.count; i++) {
      const guest = run.guest + i;
      const t = Math.floor(guest / l2Entries);
      if (t !== current) {
        await flush();
        current = t;
      }
      const at = (guest % l2Entries) * 8;
      if (run.host === null) l2.writeUInt32BE(ZERO_FLAG, at + 4); // no host cluster; the table was zero-filled
      else writeEntry(l2, at, (run.host + i) * C, COPIED);
    }
  }
  await flush();
}

/** Data runs (with their host cluster) and zero runs (host null), merged in guest order. */
function guestOrder(layout: Qcow2Layout): Array<{ guest: number; count: number; host: number | null }> {
  const zero = layout.zeroRuns.map((r) => ({ guest: r.guest, count: r.count, host: null }));
  return [...layout.runs, ...zero].sort((a, b) => a.guest - b.guest);
}

/**
 * A download target that stores guest data as qcow2 on top of a partial file: guest writes go to
 * their clusters, the journal keeps guest ranges, and completion renames it like any download.
 */
export class Qcow2PartTarget implements PartTarget {
  private constructor(
    private readonly part: PartTarget,
    readonly layout: Qcow2Layout,
  ) {}

  /** Wraps a partial file of `layout.fileSize` bytes; a new one (nothing done yet) gets its metadata now. */
  static async attach(part: PartTarget, layout: Qcow2Layout): Promise<Qcow2PartTarget> {
    if (part.done.count === 0) await writeQcow2Metadata(part, layout);
    return new Qcow2PartTarget(part, layout);
  }

  get done(): RangeSet {
    return this.part.done;
  }

  /** Writes guest bytes; they must lie in clusters the layout allocated (the server's data extents). */
  async write(offset: number, data: Buffer): Promise<void> {
    const segments = hostSegments(this.layout, offset, data.length);
    if (!segments)
      throw new DiskFerryError('protocol', `The data server sent data at [${offset}, ${offset + data.length}), outside the extents it reported as data.`, {
        retryable: false,
      });
    for (const s of segments) await this.part.write(s.host, data.subarray(s.at, s.at + s.length));
  }

  markDone(start: number, length: number): void {
    this.part.markDone(start, length);
  }

  saveJournal(): Promise<void> {
    return this.part.saveJournal();
  }

  complete(): Promise<void> {
    return this.part.complete();
  }

  close(): Promise<void> {
    return this.part.close();
  }
}
