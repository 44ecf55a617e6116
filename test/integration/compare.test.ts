/**
 * The byte-for-byte comparisons the integration tests rely on (helpers.ts) read only where either
 * side holds data; they must still see every difference: a changed byte inside data, data written
 * into what should be a hole, a hole where data should be, and a file of another size.
 */
import { open, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDiskRuns } from '../../main/simulator/engine/seed.js';
import { expectDiskEqualsFile, expectFileEqualsDisk, expectFileEqualsSeed, makeSparseImage, MiB, seededDiskId, SMALL_RUNS, SMALL_SIZE, startHarness, type Harness } from './helpers.js';

const SEEDED = 'web-01-disk1';

let h: Harness;
let diskId: string;
beforeAll(async () => {
  h = await startHarness('4.5');
  diskId = seededDiskId(SEEDED);
});
afterAll(() => h?.close());

/** Writes `bytes` at `offset` of a file. */
async function poke(path: string, offset: number, bytes: Buffer): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(bytes, 0, bytes.length, offset);
  } finally {
    await fh.close();
  }
}

/** A sparse copy of the seeded disk, written from the simulator's volume. */
async function seededCopy(name: string): Promise<string> {
  const path = join(h.dir, name);
  const fh = await open(path, 'w');
  try {
    await fh.truncate(512 * MiB);
    for (const r of seedDiskRuns(SEEDED)) await fh.write(await h.sim.images.get(diskId)!.read(r.start, r.length), 0, r.length, r.start);
  } finally {
    await fh.close();
  }
  return path;
}

describe('comparing a file with a disk', () => {
  it('passes for the same bytes, whatever is a hole on either side', async () => {
    const path = await seededCopy('same.raw');
    await expectFileEqualsSeed(SEEDED, path);
    await expectFileEqualsDisk(h.sim, diskId, path);
    // Zeros written where the disk has none are data in the file, but the same bytes.
    await poke(path, 100 * MiB, Buffer.alloc(MiB));
    await expectFileEqualsDisk(h.sim, diskId, path);
  });

  it('fails on one byte changed inside the data', async () => {
    const path = await seededCopy('changed.raw');
    const run = seedDiskRuns(SEEDED)[1]!;
    const at = run.start + run.length - 1;
    const byte = (await h.sim.images.get(diskId)!.read(at, 1))[0]!;
    await poke(path, at, Buffer.from([byte ^ 1]));
    await expect(expectFileEqualsSeed(SEEDED, path)).rejects.toThrow(/differs from seeded disk/);
    await expect(expectFileEqualsDisk(h.sim, diskId, path)).rejects.toThrow(/differs from disk/);
  });

  it('fails on data in the file where the disk has a hole', async () => {
    const path = await seededCopy('extra.raw');
    await poke(path, 300 * MiB + 7, Buffer.from([1]));
    await expect(expectFileEqualsSeed(SEEDED, path)).rejects.toThrow(/differs from seeded disk web-01-disk1 in \[314572800, /);
    await expect(expectFileEqualsDisk(h.sim, diskId, path)).rejects.toThrow(/differs from disk/);
  });

  it('fails on a hole in the file where the disk has data', async () => {
    const path = join(h.dir, 'missing.raw');
    const fh = await open(path, 'w');
    await fh.truncate(512 * MiB);
    await fh.close();
    await expect(expectFileEqualsSeed(SEEDED, path)).rejects.toThrow(/differs from seeded disk/);
    await expect(expectFileEqualsDisk(h.sim, diskId, path)).rejects.toThrow(/differs from disk/);
  });

  it('fails on a file of another size', async () => {
    const path = await seededCopy('longer.raw');
    await truncate(path, 512 * MiB + 512);
    await expect(expectFileEqualsSeed(SEEDED, path)).rejects.toThrow(/size of/);
  });

  it('compares an uploaded disk with its source the same way', async () => {
    const path = join(h.dir, 'source.raw');
    await makeSparseImage(path, SMALL_SIZE, SMALL_RUNS);
    const image = await h.sim.images.create('compare-volume', SMALL_SIZE);
    for (const r of SMALL_RUNS) {
      const fh = await open(path, 'r');
      const buf = Buffer.alloc(r.length);
      await fh.read(buf, 0, r.length, r.start);
      await fh.close();
      await image.write(r.start, buf);
    }
    await expectDiskEqualsFile(h.sim, 'compare-volume', path);
    await image.write(SMALL_RUNS[2]!.start + 5, Buffer.from('x'));
    await expect(expectDiskEqualsFile(h.sim, 'compare-volume', path)).rejects.toThrow(/differs from disk compare-volume/);
  });
});
