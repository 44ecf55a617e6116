import { DiskFerryError } from '../errors.js';
import {
  BLKHASH_DEFAULT_ALGORITHM,
  BLKHASH_DEFAULT_BLOCK_SIZE,
  combineBlockDigests,
  createBlockHashStates,
  zeroBlockDigest,
  type BlkhashAlgorithm,
  type BlockHashState,
} from './blkhash.js';
import { BlkhashThread } from './blkhash-thread.js';
import { isZero } from './zero-scan.js';

/** A piece of a block that arrived before the bytes in front of it; null data means zeros. */
interface Piece {
  readonly start: number;
  readonly length: number;
  readonly data: Uint8Array | null;
}

/** A block some of whose bytes have arrived. */
interface OpenBlock {
  /** Bytes of the block accounted for, contiguous from its start. */
  fed: number;
  /** Bytes given to the hasher; [hashed, fed) are zeros not hashed yet, so an all-zero block never is. */
  hashed: number;
  state: BlockHashState | null;
  pending: Piece[];
}

const ZEROS = new Uint8Array(1024 * 1024);
const noop = () => {};

/**
 * blkhash (reference/imageio.md §6.2) of guest data that arrives in any order, as transfer workers
 * finish their ranges: each 4 MiB block is hashed as its bytes come in (pieces that arrive ahead of
 * the bytes before them are copied and wait), a block of zeros takes the precomputed zero digest
 * without hashing, and the block digests are combined at the end. Bytes that arrive twice (a retried
 * request) are ignored, so the result is over the data, not over the traffic.
 */
export class BlkhashAccumulator {
  /** Block digests; a promise while the hash thread still works on the block. */
  private readonly digests: Array<Uint8Array | Promise<Uint8Array> | null>;
  private readonly open = new Map<number, OpenBlock>();
  private remaining: number;
  private hashed = 0;

  private constructor(
    readonly size: number,
    readonly algorithm: BlkhashAlgorithm,
    readonly blockSize: number,
    private readonly newState: () => BlockHashState,
    private readonly zeroDigest: Uint8Array,
    private readonly lastZeroDigest: Uint8Array,
    private readonly thread: BlkhashThread | null,
  ) {
    const blocks = Math.ceil(size / blockSize);
    this.digests = new Array<Uint8Array | Promise<Uint8Array> | null>(blocks).fill(null);
    this.remaining = blocks;
  }

  /**
   * An accumulator for an image of `size` guest bytes. With `thread: true`, BLAKE2b runs on a worker
   * thread while its buffer pool has room; the digest is the same. Off by default: on the two-core
   * benchmark machine, shared with the server, the thread's copies cost more than they saved.
   */
  static async create(size: number, options: { algorithm?: BlkhashAlgorithm; blockSize?: number; thread?: boolean } = {}): Promise<BlkhashAccumulator> {
    const algorithm = options.algorithm ?? BLKHASH_DEFAULT_ALGORITHM;
    const blockSize = options.blockSize ?? BLKHASH_DEFAULT_BLOCK_SIZE;
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('size must be a non-negative integer');
    const last = size % blockSize || blockSize;
    const zero = await zeroBlockDigest(algorithm, blockSize, blockSize);
    const lastZero = last === blockSize ? zero : await zeroBlockDigest(algorithm, last, blockSize);
    // The thread's pool holds four blocks: only for block sizes like imageio's default.
    const thread = algorithm === 'blake2b' && blockSize <= 8 * 1024 * 1024 && options.thread === true ? new BlkhashThread(blockSize) : null;
    return new BlkhashAccumulator(size, algorithm, blockSize, await createBlockHashStates(algorithm, thread ?? undefined), zero, lastZero, thread);
  }

  /** Bytes given to the block hashes so far (data, and zeros that data followed in a block); the rest took the zero digest. */
  get hashedBytes(): number {
    return this.hashed;
  }

  /** True when every byte of the image has been accounted for. */
  get complete(): boolean {
    return this.remaining === 0;
  }

  /**
   * Adds guest bytes at an offset (hashed or copied before returning: the buffer may be reused).
   * Zero bytes count as a run of zeros, whatever the piece's size: hashed only when data follows
   * them in their block, so a block that turns out all zero takes the zero digest without hashing,
   * as imageio's checksum and the reference client's do (a legacy server without extents, a
   * preallocated disk on block storage: most of such an image is zeros sent as data). The check
   * stops at the first non-zero word, so data costs nothing extra.
   */
  add(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    this.each(offset, data.length, (i, rel, from, len) => {
      const bytes = data.subarray(from, from + len);
      if (!isZero(bytes)) this.feed(i, rel, bytes, len);
      else if (rel === 0 && len === this.blockLength(i) && this.digests[i] === null && !this.open.has(i)) this.settle(i, this.zeroDigestOf(i));
      else this.feed(i, rel, null, len);
    });
  }

  /** Adds a run of zeros; whole zero blocks cost nothing. */
  zero(offset: number, length: number): void {
    this.check(offset, length);
    this.each(offset, length, (i, rel, _from, len) => {
      if (rel === 0 && len === this.blockLength(i) && this.digests[i] === null && !this.open.has(i)) this.settle(i, this.zeroDigestOf(i));
      else this.feed(i, rel, null, len);
    });
  }

  /** Bytes not accounted for yet (for an error message). */
  missingBytes(): number {
    let missing = 0;
    for (let i = 0; i < this.digests.length; i++) {
      if (this.digests[i] !== null) continue;
      const b = this.open.get(i);
      let covered = b?.fed ?? 0;
      let have = covered;
      for (const p of [...(b?.pending ?? [])].sort((x, y) => x.start - y.start)) {
        const end = p.start + p.length;
        if (end <= covered) continue;
        have += end - Math.max(p.start, covered);
        covered = end;
      }
      missing += this.blockLength(i) - have;
    }
    return missing;
  }

  /** The hex blkhash; throws internal when some bytes never arrived (a bug, not a server fault). */
  async digest(): Promise<string> {
    if (this.remaining > 0)
      throw new DiskFerryError('internal', `The local checksum is missing ${this.missingBytes()} bytes of the image, so the transfer cannot be verified.`, {
        retryable: false,
      });
    try {
      return await combineBlockDigests(this.algorithm, await Promise.all(this.digests as Array<Uint8Array | Promise<Uint8Array>>));
    } finally {
      this.thread?.close();
    }
  }

  private check(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > this.size)
      throw new DiskFerryError('internal', `Checksum input [${offset}, ${offset + length}) lies outside the image of ${this.size} bytes.`, { retryable: false });
  }

  /** Calls fn(block, offset in block, offset in input, length) for each block [offset, offset+length) touches. */
  private each(offset: number, length: number, fn: (i: number, rel: number, from: number, len: number) => void): void {
    let pos = offset;
    const end = offset + length;
    while (pos < end) {
      const i = Math.floor(pos / this.blockSize);
      const blockEnd = Math.min(end, (i + 1) * this.blockSize);
      fn(i, pos - i * this.blockSize, pos - offset, blockEnd - pos);
      pos = blockEnd;
    }
  }

  private blockLength(i: number): number {
    return Math.min(this.blockSize, this.size - i * this.blockSize);
  }

  private zeroDigestOf(i: number): Uint8Array {
    return this.blockLength(i) === this.blockSize ? this.zeroDigest : this.lastZeroDigest;
  }

  private feed(i: number, rel: number, data: Uint8Array | null, length: number): void {
    if (this.digests[i] !== null) return;
    let b = this.open.get(i);
    if (!b) {
      b = { fed: 0, hashed: 0, state: null, pending: [] };
      this.open.set(i, b);
    }
    if (rel + length <= b.fed) return;
    if (rel > b.fed) {
      // Ahead of the bytes before it: keep a copy, since the caller reuses its buffer.
      b.pending.push({ start: rel, length, data: data ? new Uint8Array(data) : null }); // a copy (Buffer#slice would not be)
      return;
    }
    this.consume(b, rel, data, length);
    for (let next = b.pending.findIndex((p) => p.start <= b.fed); next >= 0; next = b.pending.findIndex((p) => p.start <= b.fed)) {
      const p = b.pending.splice(next, 1)[0]!;
      if (p.start + p.length > b.fed) this.consume(b, p.start, p.data, p.length);
    }
    if (b.fed === this.blockLength(i)) this.finish(i, b);
  }

  /** Accounts for the part of a piece beyond `fed` (the piece starts at or before it). */
  private consume(b: OpenBlock, start: number, data: Uint8Array | null, length: number): void {
    const end = start + length;
    if (data) {
      this.hashZeros(b);
      b.state ??= this.newState();
      b.state.update(data.subarray(b.fed - start));
      this.hashed += end - b.fed;
      b.hashed = end;
    }
    b.fed = end;
  }

  /** Hashes the zeros that were deferred, once real data follows them. */
  private hashZeros(b: OpenBlock): void {
    b.state ??= this.newState();
    while (b.hashed < b.fed) {
      const n = Math.min(ZEROS.length, b.fed - b.hashed);
      b.state.update(ZEROS.subarray(0, n));
      b.hashed += n;
      this.hashed += n;
    }
  }

  private finish(i: number, b: OpenBlock): void {
    if (b.hashed === 0) {
      this.settle(i, this.zeroDigestOf(i));
      return;
    }
    this.hashZeros(b);
    this.settle(i, b.state!.digest());
  }

  private settle(i: number, digest: Uint8Array | Promise<Uint8Array>): void {
    if (digest instanceof Promise) digest.catch(noop); // awaited by digest(); this only marks an early failure as seen
    this.digests[i] = digest;
    this.open.delete(i);
    this.remaining--;
  }
}
