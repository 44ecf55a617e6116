/**
 * A qcow2 image read as guest data, over any positional byte reader (a file, a simulated volume, a
 * buffer in a test). Only the L1 table is loaded up front; L2 tables and decompressed clusters are
 * cached with bounds. Every offset is checked against the file before it is read.
 */
import { DiskFerryError, errorMessage } from '../errors.js';
import { parseQcow2Header } from './probe.js';
import { decompressCluster } from './qcow2-decompress.js';
import { SUBCLUSTERS, corrupt, decodeL1, decodeL2, geometryOf, subclusterAllocated, type Qcow2Cluster, type Qcow2Geometry } from './qcow2-format.js';
import type { LocalExtent } from './raw-source.js';

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
  ) {
    this.l2Cache = new PromiseCache(Math.max(16, Math.floor(L2_CACHE_BYTES / (geometry.l2Entries * geometry.l2EntryBytes))));
  }

  /**
   * Parses the header (refusing backing files, encryption, external data files and unknown features
   * through the probe's checks) and the L1 table. Throws unsupported-image with the reason.
   */
  static async open(io: ByteReader, name: string): Promise<Qcow2Reader> {
    const head = Buffer.alloc(Math.min(HEADER_BYTES, io.size));
    await readFull(io, 0, head);
    if (head.length < 4 || head.readUInt32BE(0) !== 0x514649fb) throw new DiskFerryError('unsupported-image', `${name} is not a qcow2 image.`, { retryable: false });
    const g = geometryOf(parseQcow2Header(head, io.size, name), name, io.size);
    const l1 = Buffer.alloc(g.l1Entries * 8);
    await readFull(io, g.l1Offset, l1);
    return new Qcow2Reader(io, g, decodeL1(g, l1));
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
    // Compressed clusters decompress concurrently (deflate runs on the libuv thread pool).
    const inflating: Array<Promise<void>> = [];
    try {
      for (let pos = offset; pos < end; ) {
        const c = Math.floor(pos / C);
        const within = pos - c * C;
        const n = Math.min(C - within, end - pos);
        const at = pos - offset;
        const cl = await this.cluster(c);
        if (cl.kind === 'zero') buffer.fill(0, at, at + n);
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
            else buffer.fill(0, at + p - within, at + p - within + m);
            p += m;
          }
        }
        pos += n;
      }
      await flush();
    } finally {
      // Never settle while a decompressed cluster may still be copied into the caller's buffer.
      await Promise.allSettled(inflating);
    }
    await Promise.all(inflating);
    return Math.max(0, end - offset);
  }

  /**
   * Data and zero extents covering [0, virtual size), merged. Allocated and compressed clusters are
   * data; zero-flagged and unallocated ones are zero. Walking every table also validates every entry,
   * so a damaged image is refused before anything is uploaded.
   */
  async extents(options: { signal?: AbortSignal } = {}): Promise<LocalExtent[]> {
    const g = this.geometry;
    const out: LocalExtent[] = [];
    const push = (start: number, end: number, zero: boolean) => {
      end = Math.min(end, g.virtualSize);
      if (end <= start) return;
      const last = out[out.length - 1];
      if (last && last.zero === zero && last.start + last.length === start) out[out.length - 1] = { start: last.start, length: end - last.start, zero };
      else out.push({ start, length: end - start, zero });
    };
    const span = g.l2Entries * g.clusterSize;
    for (let i = 0; i < g.l1Entries; i++) {
      options.signal?.throwIfAborted();
      const base = i * span;
      const table = await this.l2Table(i);
      if (!table) {
        push(base, base + span, true);
        continue;
      }
      const count = Math.min(g.l2Entries, Math.ceil((g.virtualSize - base) / g.clusterSize));
      for (let j = 0; j < count; j++) {
        const c = i * g.l2Entries + j;
        const start = c * g.clusterSize;
        const cl = decodeL2(g, table, j, c);
        if (cl.kind !== 'sub') push(start, start + g.clusterSize, cl.kind === 'zero');
        else {
          const sub = g.clusterSize / SUBCLUSTERS;
          for (let k = 0; k < SUBCLUSTERS; k++) push(start + k * sub, start + (k + 1) * sub, !subclusterAllocated(cl.alloc, k));
        }
      }
    }
    return out;
  }

  /** Bytes of allocated guest data (what a new qcow2 of this image must hold). */
  static dataBytes(extents: readonly LocalExtent[]): number {
    return extents.reduce((sum, e) => sum + (e.zero ? 0 : e.length), 0);
  }

  private async cluster(c: number): Promise<Qcow2Cluster> {
    const g = this.geometry;
    const table = await this.l2Table(Math.floor(c / g.l2Entries));
    return table ? decodeL2(g, table, c % g.l2Entries, c) : { kind: 'zero' };
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
