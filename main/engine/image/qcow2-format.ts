/**
 * The qcow2 on-disk format (qemu docs/interop/qcow2.txt): geometry from the header, and decoding of
 * L1 and L2 entries with every check that keeps a hostile or damaged image from sending a reader out
 * of the file. Pure functions over buffers; the reader and the writer build on them.
 */
import { DiskFerryError } from '../errors.js';
import type { Qcow2HeaderInfo } from './probe.js';

/** qemu refuses L1 tables above 32 MiB (QCOW_MAX_L1_SIZE); so do we, before allocating one. */
export const MAX_L1_BYTES = 32 * 1024 * 1024;
/** Subclusters per cluster with extended L2 entries. */
export const SUBCLUSTERS = 32;
const TWO_32 = 2 ** 32;

/** What a reader needs to know about an image's layout. */
export interface Qcow2Geometry {
  readonly name: string;
  readonly version: 2 | 3;
  readonly clusterBits: number;
  readonly clusterSize: number;
  readonly virtualSize: number;
  readonly fileSize: number;
  /** L1 entries that cover the virtual size (the table may be longer; the rest is never read). */
  readonly l1Entries: number;
  readonly l1Offset: number;
  readonly extendedL2: boolean;
  /** Entries per L2 table (one cluster of 8- or 16-byte entries). */
  readonly l2Entries: number;
  readonly l2EntryBytes: 8 | 16;
  readonly compression: 'deflate' | 'zstd';
}

/** How one guest cluster reads. Unallocated and zero clusters both read as zeros: there is no backing file. */
export type Qcow2Cluster =
  | { readonly kind: 'zero' }
  | { readonly kind: 'data'; readonly host: number }
  | { readonly kind: 'compressed'; readonly host: number; readonly length: number }
  /** Extended L2: a bit per subcluster, allocated (data at host + i × subcluster) or reading as zeros. */
  | { readonly kind: 'sub'; readonly host: number; readonly alloc: number };

/** The error for a damaged image: what is wrong, and what the user can do. */
export function corrupt(name: string, detail: string): DiskFerryError {
  return new DiskFerryError(
    'unsupported-image',
    `${name} is a corrupt qcow2 image: ${detail}. Check it with qemu-img check ${name}, repair it with qemu-img check -r all, or use a good copy.`,
    { retryable: false },
  );
}

/** Checks the header fields a reader relies on beyond what the probe checked. */
export function geometryOf(info: Qcow2HeaderInfo, name: string, fileSize: number): Qcow2Geometry {
  const clusterSize = 2 ** info.clusterBits;
  if (info.extendedL2 && info.clusterBits < 14) throw corrupt(name, `extended L2 entries need clusters of 16 KiB or more, not ${clusterSize} bytes`);
  const l2EntryBytes = info.extendedL2 ? 16 : 8;
  const l2Entries = clusterSize / l2EntryBytes;
  const clusters = Math.ceil(info.virtualSize / clusterSize);
  const l1Entries = Math.ceil(clusters / l2Entries);
  if (info.l1Size < l1Entries) throw corrupt(name, `its L1 table has ${info.l1Size} entries, too few for a virtual size of ${info.virtualSize} bytes`);
  // The declared table must fit, like qemu checks it, even where its tail is never read.
  const l1Bytes = info.l1Size * 8;
  if (l1Bytes > MAX_L1_BYTES) throw corrupt(name, `its L1 table would be ${l1Bytes} bytes, more than qemu allows`);
  if (info.l1Size > 0) {
    if (info.l1TableOffset % clusterSize !== 0) throw corrupt(name, `its L1 table offset ${info.l1TableOffset} is not aligned to a cluster`);
    if (info.l1TableOffset + l1Bytes > fileSize) throw corrupt(name, `its L1 table (${l1Bytes} bytes at ${info.l1TableOffset}) is larger than the file`);
  }
  return {
    name,
    version: info.version,
    clusterBits: info.clusterBits,
    clusterSize,
    virtualSize: info.virtualSize,
    fileSize,
    l1Entries,
    l1Offset: info.l1TableOffset,
    extendedL2: info.extendedL2,
    l2Entries,
    l2EntryBytes,
    compression: info.compressionType,
  };
}

/**
 * The L2 table offsets of an L1 table (0 where unallocated). Refuses reserved bits, misaligned
 * offsets, tables past the end of the file, and two entries sharing one table: a shared table could
 * make a small file describe an endless image, and an image without snapshots never has one.
 */
export function decodeL1(g: Qcow2Geometry, l1: Buffer): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  const tableBytes = g.l2Entries * g.l2EntryBytes;
  for (let i = 0; i < g.l1Entries; i++) {
    const hi = l1.readUInt32BE(i * 8);
    const lo = l1.readUInt32BE(i * 8 + 4);
    if ((lo & 0x1ff) !== 0 || (hi & 0x7f000000) !== 0) throw corrupt(g.name, `L1 entry ${i} has reserved bits set`);
    const offset = (hi & 0xffffff) * TWO_32 + ((lo & ~0x1ff) >>> 0);
    if (offset !== 0) {
      if (offset % g.clusterSize !== 0) throw corrupt(g.name, `L1 entry ${i} points at a misaligned L2 table (${offset})`);
      if (offset + tableBytes > g.fileSize) throw corrupt(g.name, `L1 entry ${i} points at an L2 table past the end of the file (${offset})`);
      if (seen.has(offset)) throw corrupt(g.name, `two L1 entries share the L2 table at ${offset}`);
      seen.add(offset);
    }
    out.push(offset);
  }
  return out;
}

/** Decodes the L2 entry of guest cluster `cluster`, found at `index` of its table. */
export function decodeL2(g: Qcow2Geometry, l2: Buffer, index: number, cluster: number): Qcow2Cluster {
  const at = index * g.l2EntryBytes;
  const hi = l2.readUInt32BE(at);
  const lo = l2.readUInt32BE(at + 4);
  const where = `the L2 entry of guest offset ${cluster * g.clusterSize}`;
  if ((hi & 0x40000000) !== 0) return decodeCompressed(g, l2.readBigUInt64BE(at), where);
  if ((lo & 0x1fe) !== 0 || (hi & 0x3f000000) !== 0) throw corrupt(g.name, `${where} has reserved bits set`);
  const host = (hi & 0xffffff) * TWO_32 + ((lo & ~0x1ff) >>> 0);
  if (host % g.clusterSize !== 0) throw corrupt(g.name, `${where} points at a misaligned cluster (${host})`);
  if (host >= g.fileSize) throw corrupt(g.name, `${where} points past the end of the file (${host})`);
  if (!g.extendedL2) {
    if ((lo & 1) !== 0 || host === 0) return { kind: 'zero' };
    return { kind: 'data', host };
  }
  if ((lo & 1) !== 0) throw corrupt(g.name, `${where} sets the zero flag, which extended L2 entries do not use`);
  const alloc = l2.readUInt32BE(at + 12);
  const zero = l2.readUInt32BE(at + 8);
  if ((alloc & zero) !== 0) throw corrupt(g.name, `${where} marks subclusters both allocated and zero`);
  if (alloc === 0) return { kind: 'zero' };
  if (host === 0) throw corrupt(g.name, `${where} has allocated subclusters but no cluster`);
  return alloc === 0xffffffff ? { kind: 'data', host } : { kind: 'sub', host, alloc };
}

function decodeCompressed(g: Qcow2Geometry, entry: bigint, where: string): Qcow2Cluster {
  // Bits 0..x-1 are the byte offset, x..61 the count of 512-byte sectors after the first one.
  const x = BigInt(62 - (g.clusterBits - 8));
  const host = Number(entry & ((1n << x) - 1n));
  const sectors = Number((entry >> x) & ((1n << (62n - x)) - 1n));
  if (host === 0 || host >= g.fileSize) throw corrupt(g.name, `${where} points at compressed data outside the file (${host})`);
  const length = Math.min((sectors + 1) * 512 - (host % 512), g.fileSize - host);
  return { kind: 'compressed', host, length };
}

/** True when subcluster `i` of an extended-L2 cluster is allocated. */
export function subclusterAllocated(alloc: number, i: number): boolean {
  return ((alloc >>> i) & 1) === 1;
}
