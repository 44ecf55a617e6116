/**
 * A qcow2 image read as guest data, over any positional byte reader (a file, a simulated volume, a
 * buffer in a test). Only the L1 table is loaded up front; L2 tables and decompressed clusters are
 * cached with bounds. Every offset is checked against the file before it is read.
 *
 * With a backing image (the layer below, itself collapsed), unallocated clusters and subclusters read
 * through to it, zero clusters stay zero, and past the end of a shorter backing image reads zero:
 * the guest view qemu gives of the chain.
 */
import { DiskFerryError, errorMessage } from '../errors.js';
import { parseQcow2Header } from './probe.js';
import { decompressCluster } from './qcow2-decompress.js';
import { SUBCLUSTERS, corrupt, decodeL1, decodeL2, geometryOf, subclusterAllocated, type Qcow2Cluster, type Qcow2Geometry } from './qcow2-format.js';
import type { LocalExtent, LocalImageSource } from './raw-source.js';

/** Positional reads of the container bytes. */
export interface ByteReader {
  /** Bytes in the container. */
  readonly size: number;
  /** Reads up to buffer.length bytes at offset; returns how many (fewer only at the end). */
  read(offset: number, buffer: Buffer): Promise<number>;
}

const HEADER_BYTES = 64 * 1024;
/** L2 tables kept in memory: 32 MiB of them covers 256 GiB of a 64 KiB-cluster image. */
const L2_CACHE_BYTES = 32 * 1024 * 1024;
const CLUSTER_CACHE = 8;
/** Every subcluster (or the whole cluster of a standard L2 entry). */
const ALL = 0xffffffff;

/** How a reader opens: the layer below (required when the header names a backing file) and its share of the L2 cache. */
export interface Qcow2ReaderOptions {
  readonly backing?: LocalImageSource | null;
  readonly l2CacheBytes?: number;
}

/** Reads exactly buffer.length bytes at offset, zero-filling past the end of the container (as qemu does). */
async function readFull(io: ByteReader, offset: number, buffer: Buffer): Promise<void> {
  let got = 0;
  while (got < buffer.length && offset + got < io.size) {
    const n = await io.read(offset + got, buffer.subarray(got, Math.min(buffer.length, io.size - offset)));
    if (n <= 0) break;
    got += n;
  }
  buffer.fill(0, got);
}

/** A bounded least-recently-used map of promises (concurrent lookups of one key share the load). */
class PromiseCache<T> {
  private readonly map = new Map<number, Promise<T>>();
  constructor(private readonly limit: number) {}
  get(key: number, load: () => Promise<T>): Promise<T> {
    let p = this.map.get(key);
    if (p) this.map.delete(key);
    else p = load();
    this.map.set(key, p);
    p.catch(() => this.map.get(key) === p && this.map.delete(key));
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value!);
    return p;
  }
}

/** The guest view of a qcow2 container: random-access reads and the map of data and zero extents. */
export class Qcow2Reader {
  private readonly l2Cache: PromiseCache<Buffer>;
  private readonly clusterCache = new PromiseCache<Buffer>(CLUSTER_CACHE);

  private constructor(
    private readonly io: ByteReader,
    readonly geometry: Qcow2Geometry,
    private readonly l1: readonly number[],
    private readonly backing: LocalImageSource | null,
    l2CacheBytes: number,
  ) {
    this.l2Cache = new PromiseCache(Math.max(16, Math.floor(l2CacheBytes / (geometry.l2Entries * geometry.l2EntryBytes))));
  }

  /**
   * Parses the header (refusing backing files, encryption, external data files and unknown features
   * through the probe's checks) and the L1 table. Throws unsupported-image with the reason.
   */
  static async open(io: ByteReader, name: string, options: Qcow2ReaderOptions = {}): Promise<Qcow2Reader> {
    const head = Buffer.alloc(Math.min(HEADER_BYTES, io.size));
    await readFull(io, 0, head);
    if (head.length < 4 || head.readUInt32BE(0) !== 0x514649fb) throw new DiskFerryError('unsupported-image', `${name} is not a qcow2 image.`, { retryable: false });
    const info = parseQcow2Header(head, io.size, name);
    const backing = options.backing ?? null;
    if (info.backingFile !== null && backing === null)
      throw new DiskFerryError('unsupported-image', `${name} is a qcow2 image with a backing file (${info.backingFile}); it can be read only with its backing chain.`, { retryable: false });
    const g = geometryOf(info, name, io.size);
    const l1 = Buffer.alloc(g.l1Entries * 8);
    await readFull(io, g.l1Offset, l1);
    return new Qcow2Reader(io, g, decodeL1(g, l1), info.backingFile === null ? null : backing, options.l2CacheBytes ?? L2_CACHE_BYTES);
  }

  /** Guest-visible size. */
  get size(): number {
    return this.geometry.virtualSize;
  }

  /** Reads guest bytes at offset into buffer; returns how many (fewer only at the end of the disk). */
  async read(offset: number, buffer: Buffer): Promise<number> {
    const { clusterSize: C, virtualSize } = this.geometry;
    const end = Math.min(virtualSize, offset + buffer.length);
    // Contiguous host runs are read with one call each.
    let run: { host: number; at: number; length: number } | null = null;
    const flush = async () => {
      if (run) await readFull(this.io, run.host, buffer.subarray(run.at, run.at + run.length));
      run = null;
    };
    const data = async (host: number, at: number, length: number) => {
      if (run && run.host + run.length === host && run.at + run.length === at) run.length += length;
      else {
        await flush();
        run = { host, at, length };
      }
    };
    // Runs that read through to the backing image, likewise one call each.
    let below: { pos: number; at: number; length: number } | null = null;
    const flushBelow = async () => {
      if (below) await this.readBacking(below.pos, buffer.subarray(below.at, below.at + below.length));
      below = null;
    };
    const backed = async (pos: number, at: number, length: number) => {
      if (below && below.at + below.length === at) below.length += length;
      else {
        await flushBelow();
        below = { pos, at, length };
      }
    };
    // Compressed clusters decompress concurrently (deflate runs on the libuv thread pool).
    const inflating: Array<Promise<void>> = [];
    try {
      for (let pos = offset; pos < end; ) {
        const c = Math.floor(pos / C);
        const within = pos - c * C;
        const n = Math.min(C - within, end - pos);
        const at = pos - offset;
        const { cl, fromBacking } = await this.cluster(c);
        if (fromBacking === ALL) await backed(pos, at, n);
        else if (cl.kind === 'zero') buffer.fill(0, at, at + n);
        else if (cl.kind === 'data') await data(cl.host + within, at, n);
        else if (cl.kind === 'compressed') {
          const copied = this.decompressed(c, cl).then((data) => void data.copy(buffer, at, within, within + n));
          copied.catch(() => {}); // awaited below; this keeps a failure during later awaits from being "unhandled"
          inflating.push(copied);
        }
        else {
          const sub = C / SUBCLUSTERS;
          for (let p = within; p < within + n; ) {
            const i = Math.floor(p / sub);
            const m = Math.min((i + 1) * sub, within + n) - p;
            if (subclusterAllocated(cl.alloc, i)) await data(cl.host + p, at + p - within, m);
            else if (subclusterAllocated(fromBacking, i)) await backed(c * C + p, at + p - within, m);
            else buffer.fill(0, at + p - within, at + p - within + m);
            p += m;
          }
        }
        pos += n;
      }
      await flush();
      await flushBelow();
    } finally {
      // Never settle while a decompressed cluster may still be copied into the caller's buffer.
      await Promise.allSettled(inflating);
    }
    await Promise.all(inflating);
    return Math.max(0, end - offset);
  }

  /**
   * Data and zero extents covering [0, virtual size), merged. Allocated and compressed clusters are
   * data; zero-flagged ones are zero; unallocated ones are what the backing image has there (zero
   * without one, or past its end). Walking every table also validates every entry, so a damaged
   * image is refused before anything is uploaded.
   */
  async extents(options: { signal?: AbortSignal } = {}): Promise<LocalExtent[]> {
    const g = this.geometry;
    const below = this.backing ? await this.backing.extents(options) : [];
    let b = 0; // the first backing extent that may still overlap
    const out: LocalExtent[] = [];
    const emit = (start: number, end: number, zero: boolean) => {
      const last = out[out.length - 1];
      if (last && last.zero === zero && last.start + last.length === start) out[out.length - 1] = { start: last.start, length: end - last.start, zero };
      else out.push({ start, length: end - start, zero });
    };
    const push = (start: number, end: number, kind: 'data' | 'zero' | 'backing') => {
      end = Math.min(end, g.virtualSize);
      if (end <= start) return;
      if (kind !== 'backing' || !this.backing) return emit(start, end, kind !== 'data');
      while (b < below.length && below[b]!.start + below[b]!.length <= start) b++;
      let pos = start;
      for (let i = b; i < below.length && pos < end; i++) {
        const e = below[i]!;
        const to = Math.min(end, e.start + e.length);
        if (to > pos) emit(pos, to, e.zero);
        pos = Math.max(pos, to);
      }
      if (pos < end) emit(pos, end, true); // past the end of a shorter backing image
    };
    const span = g.l2Entries * g.clusterSize;
    for (let i = 0; i < g.l1Entries; i++) {
      options.signal?.throwIfAborted();
      const base = i * span;
      const table = await this.l2Table(i);
      if (!table) {
        push(base, base + span, 'backing');
        continue;
      }
      const count = Math.min(g.l2Entries, Math.ceil((g.virtualSize - base) / g.clusterSize));
      for (let j = 0; j < count; j++) {
        const c = i * g.l2Entries + j;
        const start = c * g.clusterSize;
        const { cl, fromBacking } = mapped(g, table, j, decodeL2(g, table, j, c));
        if (fromBacking === ALL) push(start, start + g.clusterSize, 'backing');
        else if (cl.kind !== 'sub') push(start, start + g.clusterSize, cl.kind === 'zero' ? 'zero' : 'data');
        else {
          const sub = g.clusterSize / SUBCLUSTERS;
          for (let k = 0; k < SUBCLUSTERS; k++)
            push(start + k * sub, start + (k + 1) * sub, subclusterAllocated(cl.alloc, k) ? 'data' : subclusterAllocated(fromBacking, k) ? 'backing' : 'zero');
        }
      }
    }
    return out;
  }

  /** Bytes of allocated guest data (what a new qcow2 of this image must hold). */
  static dataBytes(extents: readonly LocalExtent[]): number {
    return extents.reduce((sum, e) => sum + (e.zero ? 0 : e.length), 0);
  }

  /** How guest cluster `c` reads, and which of its subclusters read through to the backing image (ALL: the whole cluster). */
  private async cluster(c: number): Promise<{ cl: Qcow2Cluster; fromBacking: number }> {
    const g = this.geometry;
    const table = await this.l2Table(Math.floor(c / g.l2Entries));
    if (!table) return { cl: { kind: 'zero' }, fromBacking: ALL };
    return mapped(g, table, c % g.l2Entries, decodeL2(g, table, c % g.l2Entries, c));
  }

  /** Reads the backing image at a guest offset, zeros past its end (it may be shorter than this image). */
  private async readBacking(pos: number, into: Buffer): Promise<void> {
    const backing = this.backing;
    let got = 0;
    if (backing) {
      const want = Math.max(0, Math.min(into.length, backing.size - pos));
      while (got < want) {
        const n = await backing.read(pos + got, into.subarray(got, want));
        if (n <= 0) break;
        got += n;
      }
    }
    into.fill(0, got);
  }

  private l2Table(index: number): Promise<Buffer | null> {
    const offset = this.l1[index] ?? 0;
    if (offset === 0) return Promise.resolve(null);
    return this.l2Cache.get(index, async () => {
      const table = Buffer.allocUnsafe(this.geometry.l2Entries * this.geometry.l2EntryBytes);
      await readFull(this.io, offset, table);
      return table;
    });
  }

  private decompressed(c: number, cl: { host: number; length: number }): Promise<Buffer> {
    return this.clusterCache.get(c, async () => {
      const input = Buffer.allocUnsafe(cl.length);
      await readFull(this.io, cl.host, input);
      try {
        return await decompressCluster(this.geometry.compression, input, this.geometry.clusterSize);
      } catch (err) {
        throw corrupt(this.geometry.name, `the compressed cluster at guest offset ${c * this.geometry.clusterSize} cannot be decompressed (${errorMessage(err)})`);
      }
    });
  }
}

/** A decoded entry with its backing mask; a zero cluster that is partly unallocated is read subcluster by subcluster. */
function mapped(g: Qcow2Geometry, table: Buffer, index: number, cl: Qcow2Cluster): { cl: Qcow2Cluster; fromBacking: number } {
  const fromBacking = readsBacking(g, table, index, cl);
  if (cl.kind === 'zero' && fromBacking !== 0 && fromBacking !== ALL) return { cl: { kind: 'sub', host: 0, alloc: 0 }, fromBacking };
  return { cl, fromBacking };
}

/**
 * The subclusters of a decoded entry that are unallocated in this layer (neither data nor zero) and
 * so read the backing image: a bit per subcluster with extended L2, else ALL or 0. Zero flags and
 * compressed clusters mask the backing image.
 */
function readsBacking(g: Qcow2Geometry, table: Buffer, index: number, cl: Qcow2Cluster): number {
  if (cl.kind === 'compressed' || cl.kind === 'data') return 0;
  const at = index * g.l2EntryBytes;
  if (!g.extendedL2) return cl.kind === 'zero' && table.readUInt32BE(at + 4) === 0 && (table.readUInt32BE(at) & 0x00ffffff) === 0 ? ALL : 0;
  const alloc = table.readUInt32BE(at + 12);
  const zero = table.readUInt32BE(at + 8);
  return ~(alloc | zero) >>> 0;
}
