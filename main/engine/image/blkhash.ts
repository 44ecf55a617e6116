import { createHash } from 'node:crypto';
import type * as HashWasm from 'hash-wasm';
import type { BlkhashThread } from './blkhash-thread.js';

let hashWasm: Promise<typeof HashWasm> | null = null;
/**
 * BLAKE2b-256 from hash-wasm, loaded on first use: importing it costs ~25 ms of CPU, which a command
 * that verifies nothing (`--no-verify`, `--version`) does not pay.
 */
async function createBLAKE2b(): Promise<HashWasm.IHasher> {
  hashWasm ??= import('hash-wasm');
  return (await hashWasm).createBLAKE2b(256);
}

/** The blkhash defaults of ovirt-imageio: BLAKE2b-256 over 4 MiB blocks. */
export const BLKHASH_DEFAULT_ALGORITHM = 'blake2b';
export const BLKHASH_DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024;

/**
 * The algorithms DiskFerry can compute. BLAKE2b-256 is not a truncated BLAKE2b-512 (the digest length
 * is a parameter of the hash), which Node's crypto cannot do, so it comes from hash-wasm (WASM,
 * about 1 GiB/s here; a pure-JS BLAKE2b ran at 50 MiB/s).
 */
export const BLKHASH_ALGORITHMS = ['blake2b', 'blake2s', 'sha1', 'sha256', 'sha512'] as const;
export type BlkhashAlgorithm = (typeof BLKHASH_ALGORITHMS)[number];

interface Hasher {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

function wasmHasher(h: HashWasm.IHasher): Hasher {
  h.init();
  return { update: (d) => void h.update(d), digest: () => h.digest('binary') };
}

async function newHasher(algorithm: BlkhashAlgorithm): Promise<Hasher> {
  if (algorithm === 'blake2b') return wasmHasher(await createBLAKE2b());
  const h = createHash(algorithm === 'blake2s' ? 'blake2s256' : algorithm);
  return { update: (d) => void h.update(d), digest: () => h.digest() };
}

const zeroDigestCache = new Map<string, Uint8Array>();

/** Digest of a block of `length` zero bytes, cached for full blocks (the zero fast path). */
export async function zeroBlockDigest(algorithm: BlkhashAlgorithm, length: number, blockSize: number): Promise<Uint8Array> {
  const key = `${algorithm}:${length}`;
  const cached = zeroDigestCache.get(key);
  if (cached) return cached;
  const h = await newHasher(algorithm);
  const chunk = new Uint8Array(Math.min(length, 1024 * 1024));
  for (let done = 0; done < length; done += chunk.length) h.update(chunk.subarray(0, Math.min(chunk.length, length - done)));
  const digest = h.digest();
  if (length === blockSize) zeroDigestCache.set(key, digest);
  return digest;
}

/**
 * Sequential blkhash (reference/imageio.md §6.2): d_i = H(block_i), checksum = H(d_1 || … || d_n).
 * Feed the guest data in order with update() and zero(); zero() never touches the bytes of whole zero blocks.
 */
export class Blkhash {
  private blockFill = 0;
  private blockStarted = false;

  private constructor(
    readonly algorithm: BlkhashAlgorithm,
    readonly blockSize: number,
    private readonly outer: Hasher,
    private block: Hasher,
    private readonly newBlock: () => Hasher,
    private readonly zeroDigest: Uint8Array,
  ) {}

  /** Creates a hasher (async: the WASM BLAKE2b is instantiated once per hasher). */
  static async create(options: { algorithm?: BlkhashAlgorithm; blockSize?: number } = {}): Promise<Blkhash> {
    const algorithm = options.algorithm ?? BLKHASH_DEFAULT_ALGORITHM;
    const blockSize = options.blockSize ?? BLKHASH_DEFAULT_BLOCK_SIZE;
    const outer = await newHasher(algorithm);
    let newBlock: () => Hasher;
    if (algorithm === 'blake2b') {
      const wasm = await createBLAKE2b();
      newBlock = () => wasmHasher(wasm); // one WASM instance, re-initialised per block
    } else {
      const name = algorithm === 'blake2s' ? 'blake2s256' : algorithm;
      newBlock = () => {
        const h = createHash(name);
        return { update: (d) => void h.update(d), digest: () => h.digest() };
      };
    }
    return new Blkhash(algorithm, blockSize, outer, newBlock(), newBlock, await zeroBlockDigest(algorithm, blockSize, blockSize));
  }

  /** Adds guest data bytes. */
  update(data: Uint8Array): void {
    let pos = 0;
    while (pos < data.length) {
      const take = Math.min(this.blockSize - this.blockFill, data.length - pos);
      if (!this.blockStarted) {
        this.block = this.newBlock();
        this.blockStarted = true;
      }
      this.block.update(data.subarray(pos, pos + take));
      this.blockFill += take;
      pos += take;
      if (this.blockFill === this.blockSize) this.endBlock();
    }
  }

  /** Adds `length` zero bytes; whole blocks use the precomputed zero digest. */
  zero(length: number): void {
    let left = length;
    while (left > 0) {
      if (this.blockFill === 0 && left >= this.blockSize) {
        this.outer.update(this.zeroDigest);
        left -= this.blockSize;
        continue;
      }
      const take = Math.min(this.blockSize - this.blockFill, left);
      this.update(new Uint8Array(take));
      left -= take;
    }
  }

  private endBlock(): void {
    if (this.blockStarted) this.outer.update(this.block.digest());
    this.blockStarted = false;
    this.blockFill = 0;
  }

  /** Finishes and returns the hex checksum. */
  digest(): string {
    if (this.blockFill > 0) this.endBlock();
    return Buffer.from(this.outer.digest()).toString('hex');
  }
}

/** One block's hash in progress; many can be open at once. */
export interface BlockHashState {
  /** Adds bytes; `data` may be reused by the caller once this returns. */
  update(data: Uint8Array): void;
  /** The block's digest (a promise while updates are still running on the hash thread). */
  digest(): Uint8Array | Promise<Uint8Array>;
}

const noop = () => {};

/**
 * A BLAKE2b block state whose updates run on `thread` while its buffer pool has room: the bytes are
 * copied into a pooled buffer (the caller reuses its own) and chained after the block's earlier
 * updates. When the pool is empty and the block has nothing in flight, the update runs here at once.
 * If the thread fails, the digest fails (an `internal` error), never silently differs.
 */
function threadedState(wasm: HashWasm.IHasher, thread: BlkhashThread): BlockHashState {
  wasm.init();
  let saved = wasm.save();
  let busy: Promise<Uint8Array> | null = null;
  return {
    update(data) {
      const chunk = thread.copy(data, busy !== null);
      if (!chunk) {
        wasm.load(saved);
        wasm.update(data);
        saved = wasm.save();
        return;
      }
      const next: Promise<Uint8Array> = busy ? busy.then((state) => thread.update(state, chunk)) : thread.update(saved, chunk);
      busy = next;
      next.then((state) => {
        if (busy === next) {
          busy = null;
          saved = state;
        }
      }, noop); // digest() sees a failure through `busy`
    },
    digest() {
      const final = (state: Uint8Array) => {
        wasm.load(state);
        return wasm.digest('binary');
      };
      return busy ? busy.then(final) : final(saved);
    },
  };
}

/**
 * Independent per-block hash states for blocks that complete out of order. BLAKE2b shares one WASM
 * instance: each state is saved after every update and loaded before the next (a few hundred bytes),
 * so any number of blocks can be open without an instance each. With a `thread`, BLAKE2b updates run
 * on it (see threadedState).
 */
export async function createBlockHashStates(algorithm: BlkhashAlgorithm, thread?: BlkhashThread): Promise<() => BlockHashState> {
  if (algorithm === 'blake2b') {
    const wasm = await createBLAKE2b();
    if (thread) return () => threadedState(wasm, thread);
    return () => {
      wasm.init();
      let saved = wasm.save();
      return {
        update(data) {
          wasm.load(saved);
          wasm.update(data);
          saved = wasm.save();
        },
        digest: () => {
          wasm.load(saved);
          return wasm.digest('binary');
        },
      };
    };
  }
  const name = algorithm === 'blake2s' ? 'blake2s256' : algorithm;
  return () => {
    const h = createHash(name);
    return { update: (d) => void h.update(d), digest: () => h.digest() };
  };
}

/** The outer hash of blkhash over the block digests in order: H(d_1 || … || d_n), as hex. */
export async function combineBlockDigests(algorithm: BlkhashAlgorithm, digests: Iterable<Uint8Array>): Promise<string> {
  const outer = await newHasher(algorithm);
  for (const d of digests) outer.update(d);
  return Buffer.from(outer.digest()).toString('hex');
}
