/**
 * Fuzzing the reader: a few hundred images with mutated headers, L1 and L2 tables and compressed
 * data, read from memory. Each must open, map and read within the buffer, or fail with a clean
 * unsupported-image DiskFerryError: no other error, no read outside the file, no hang.
 */
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../../main/engine/errors.js';
import { Qcow2Reader, type ByteReader } from '../../../main/engine/image/qcow2-reader.js';
import { compressible, MiB, makeQcow2, qemu, type FixtureKind } from './qcow2-fixtures.js';
import { prng } from '../../reliability/prng.js';

const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 100); // per base image; three bases
let dir: string;
const bases = new Map<FixtureKind, Buffer>();


beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-qcow2-fuzz-'));
  // A small source: 2 MiB of compressible data and zeros, then a hole to 12 MiB (the fixtures write there).
  const source = join(dir, 'source.raw');
  const data = Buffer.concat([compressible(MiB), Buffer.alloc(512 * 1024), compressible(512 * 1024 + 1000)]);
  await writeFile(source, data);
  await truncate(source, 12 * MiB);
  for (const kind of ['v3', 'zstd', 'extended-l2'] as const) bases.set(kind, await readFile(await makeQcow2(dir, kind, source)));
  // A deflate base with 4 KiB clusters, for many small compressed clusters and L2 entries.
  const small = join(dir, 'small-deflate.qcow2');
  await qemu('qemu-img', ['convert', '-c', '-O', 'qcow2', '-o', 'cluster_size=4096', source, small]);
  bases.set('deflate', await readFile(small));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Where the interesting bytes are: header, L1 table, first L2 table, the data after it. */
function regions(b: Buffer): Array<[number, number]> {
  const l1 = Number(b.readBigUInt64BE(40));
  const out: Array<[number, number]> = [[0, 112], [l1, l1 + 64]];
  const l2 = Number(b.readBigUInt64BE(l1) & 0x00fffffffffffe00n);
  if (l2 > 0 && l2 < b.length) out.push([l2, Math.min(b.length, l2 + 4096)], [l2 + 4096, b.length]);
  return out;
}

function mutate(base: Buffer, next: () => number): Buffer {
  let b = Buffer.from(base);
  const pick = (n: number) => Math.floor(next() * n);
  const spans = regions(base);
  const count = 1 + pick(6);
  for (let i = 0; i < count; i++) {
    const [lo, hi] = spans[pick(spans.length)]!;
    const at = lo + pick(Math.max(1, hi - lo - 8));
    if (at + 8 > b.length) continue; // cut short by an earlier truncation
    switch (pick(5)) {
      case 0:
        b[at] = pick(256);
        break;
      case 1:
        b[at] = b[at]! ^ (1 << pick(8));
        break;
      case 2:
        b.writeUInt32BE([0, 1, 0xffffffff, 0x80000000, pick(2 ** 32)][pick(5)]!, at);
        break;
      case 3:
        b.writeBigUInt64BE([0n, 1n << 62n, (1n << 63n) | BigInt(pick(2 ** 30)), BigInt(pick(2 ** 32)) << 9n, 0xffffffffffffffffn][pick(5)]!, at);
        break;
      default:
        b = b.subarray(0, Math.max(8, pick(b.length)));
    }
  }
  return b;
}

/** A reader over memory that records any read outside the buffer. */
function memory(b: Buffer, violations: string[]): ByteReader {
  return {
    size: b.length,
    read: async (offset, buffer) => {
      if (!Number.isSafeInteger(offset) || offset < 0 || offset + buffer.length > b.length) violations.push(`read [${offset}, +${buffer.length}) of ${b.length}`);
      return b.copy(buffer, 0, offset, Math.min(b.length, offset + buffer.length));
    },
  };
}

/** Opens, maps and reads (at most 8 MiB, in pieces) a mutated image; returns what it threw. */
async function exercise(b: Buffer, violations: string[]): Promise<unknown> {
  try {
    const r = await Qcow2Reader.open(memory(b, violations), 'fuzzed.qcow2');
    await r.extents();
    const buf = Buffer.alloc(1 << 20);
    for (let pos = 0; pos < Math.min(r.size, 8 * MiB); pos += buf.length - 333) await r.read(pos, buf);
    if (r.size > 8 * MiB) await r.read(r.size - 1000, buf);
    return null;
  } catch (err) {
    return err;
  }
}

describe('qcow2 reader under fuzzing', () => {
  it.each(['v3', 'deflate', 'zstd', 'extended-l2'] as const)('%s: every mutated image is read or refused cleanly', async (kind) => {
    const base = bases.get(kind)!;
    const next = prng(0x5eed + kind.length);
    const outcomes = { read: 0, refused: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const violations: string[] = [];
      const err = await exercise(mutate(base, next), violations);
      expect(violations, `round ${round}`).toEqual([]);
      if (err === null) outcomes.read++;
      else {
        if (!(err instanceof DiskFerryError)) throw new Error(`round ${round}: not a DiskFerryError: ${String((err as Error)?.stack ?? err)}`);
        expect(err.code, `round ${round}: ${err.message}`).toBe('unsupported-image');
        expect(err.message).toMatch(/fuzzed\.qcow2/);
        outcomes.refused++;
      }
    }
    // Both paths were taken: the mutations are neither all harmless nor all fatal.
    expect(outcomes.read).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
