/**
 * Deterministic content of the seeded disks: where the data runs are and what bytes they hold, both
 * derived from the disk name, so a test can recompute any range without reading the simulator.
 */
import { createHash } from 'node:crypto';

/** Data is laid out and generated in 64 KiB blocks (aligned like qemu clusters, never all zero). */
const SEED_BLOCK = 64 * 1024;
const MiB = 1024 * 1024;

/** A run of data in a seeded disk; everything outside the runs reads as zeros. */
export interface SeedRun {
  readonly start: number;
  readonly length: number;
}

/** A 32-bit seed derived from a name. */
function nameSeed(name: string): number {
  return createHash('sha256').update(name).digest().readUInt32LE(0) || 1;
}

/** A small deterministic PRNG (xorshift32) for the layout. */
function layoutRandom(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/**
 * Runs of 1–8 MiB of data separated by zero gaps, spread over the whole virtual size, summing to
 * about `dataBytes` (fewer if the disk is too small).
 */
export function seedLayout(name: string, virtualSize: number, dataBytes: number): SeedRun[] {
  const rand = layoutRandom(nameSeed(`layout:${name}`));
  const blocks = (bytes: number) => Math.floor(bytes / SEED_BLOCK);
  const runs: SeedRun[] = [];
  let left = blocks(dataBytes);
  let pos = 0;
  const total = blocks(virtualSize);
  while (left > 0 && pos < total) {
    const len = Math.min(left, blocks(MiB) * (1 + Math.floor(rand() * 8)), total - pos);
    runs.push({ start: pos * SEED_BLOCK, length: len * SEED_BLOCK });
    pos += len;
    left -= len;
    if (left <= 0) break;
    // Spread the remaining runs over the remaining space: gaps average free / runs-to-come.
    const runsToCome = Math.max(1, Math.ceil(left / blocks(4.5 * MiB)));
    const free = Math.max(0, total - pos - left);
    const gap = Math.max(1, Math.floor(rand() * 2 * (free / runsToCome)));
    pos += Math.min(gap, Math.max(1, free));
  }
  return runs;
}

/** Fills `target` (a whole 64 KiB block) with the bytes of block number `index` of a disk. */
function fillSeedBlock(seed: number, index: number, target: Uint8Array): void {
  if (target.byteOffset % 4 !== 0) {
    const aligned = new Uint8Array(target.byteLength);
    fillSeedBlock(seed, index, aligned);
    target.set(aligned);
    return;
  }
  const words = new Uint32Array(target.buffer, target.byteOffset, target.byteLength >>> 2);
  // xorshift128, seeded per block so any block can be produced on its own.
  let x = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0 || 1;
  let y = 362436069 ^ index;
  let z = 521288629;
  let w = 88675123 ^ seed;
  for (let i = 0; i < words.length; i++) {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    words[i] = w;
  }
}

/** The bytes of [start, start+length) of a run, generated block by block (start and length block-aligned). */
export function runBytes(name: string, start: number, length: number): Buffer {
  const seed = nameSeed(`data:${name}`);
  const out = Buffer.allocUnsafe(length);
  for (let off = 0; off < length; off += SEED_BLOCK) fillSeedBlock(seed, (start + off) / SEED_BLOCK, out.subarray(off, off + SEED_BLOCK));
  return out;
}

/**
 * The content of a seeded disk's data, any range: fills `target` with the bytes at
 * [offset, offset + target.length) as if all of it were data (a volume asks only for its data runs).
 */
export function seedContent(name: string): (offset: number, target: Buffer) => void {
  return (offset, target) => {
    const first = Math.floor(offset / SEED_BLOCK) * SEED_BLOCK;
    const last = Math.ceil((offset + target.length) / SEED_BLOCK) * SEED_BLOCK;
    if (first === offset && last === offset + target.length) {
      const seed = nameSeed(`data:${name}`);
      for (let off = 0; off < target.length; off += SEED_BLOCK) fillSeedBlock(seed, (offset + off) / SEED_BLOCK, target.subarray(off, off + SEED_BLOCK));
      return;
    }
    runBytes(name, first, last - first).copy(target, 0, offset - first, offset - first + target.length);
  };
}

/** The expected bytes of [offset, offset+length) of a seeded disk with this layout. */
export function expectedBytes(name: string, runs: readonly SeedRun[], offset: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  const end = offset + length;
  for (const r of runs) {
    const a = Math.max(offset, r.start);
    const b = Math.min(end, r.start + r.length);
    if (a >= b) continue;
    const firstBlock = Math.floor(a / SEED_BLOCK) * SEED_BLOCK;
    const lastBlock = Math.ceil(b / SEED_BLOCK) * SEED_BLOCK;
    const bytes = runBytes(name, firstBlock, lastBlock - firstBlock);
    bytes.copy(out, a - offset, a - firstBlock, b - firstBlock);
  }
  return out;
}
