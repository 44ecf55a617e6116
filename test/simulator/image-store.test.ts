/**
 * The simulated volume's generated content (the seeded disks' data, produced on read instead of
 * written at every start): it reads as the seed's bytes at any offset, a write or zero over part of
 * it replaces exactly that part, a copy keeps both kinds of data, and the maps (data, dirty, layer)
 * and the written-bytes count say what they said when the seed was written to the file.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageStore } from '../../main/simulator/image-store.js';
import { seedContent } from '../../main/simulator/engine/seed-content.js';
import { seedDiskBytes, seedDiskRuns } from '../../main/simulator/engine/seed.js';
import { startSimulator } from '../../main/simulator/simulator.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const NAME = 'db01-disk0'; // 1 GiB, runs of 1-8 MiB far apart

let dir: string;
let store: ImageStore;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'diskferry-image-store-'));
  store = new ImageStore(dir);
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A 1 GiB image holding the seed's runs of NAME, generated. */
async function seeded(id: string) {
  const image = await store.create(id, 1024 * MiB);
  const content = seedContent(NAME);
  for (const r of seedDiskRuns(NAME)) image.generate(r.start, r.start + r.length, content);
  return image;
}

describe('a volume with generated content', () => {
  it('reads the seed at any offset and length, zeros outside its runs, and writes nothing to the file', async () => {
    const image = await seeded('read');
    const runs = seedDiskRuns(NAME);
    const first = runs[0]!;
    const second = runs[1]!;
    // Unaligned, across a run's end and the hole after it, from a hole into a run, and whole runs.
    for (const [offset, length] of [
      [first.start + 1, 3],
      [first.start + 64 * KiB - 5, 10],
      [first.start + first.length - 100 * KiB - 7, 300 * KiB],
      [second.start - 64 * KiB - 3, second.length + 128 * KiB],
      [first.start, first.length],
      [second.start, second.length],
    ] as const) {
      expect((await image.read(offset, length)).equals(seedDiskBytes(NAME, offset, length)), `[${offset}, +${length})`).toBe(true);
    }
    const dataBytes = runs.reduce((n, r) => n + r.length, 0);
    expect(image.data.toArray()).toEqual(runs.map((r) => ({ start: r.start, end: r.start + r.length })));
    expect([image.dirty.size, image.layer.size, image.bytesWritten]).toEqual([dataBytes, dataBytes, dataBytes]);
    expect(image.storedRanges()).toEqual([]);
    expect((await stat(image.path)).blocks).toBe(0);
  });

  it('a write or zero over part of a generated run replaces exactly that part', async () => {
    const image = await seeded('write');
    const run = seedDiskRuns(NAME)[0]!;
    const at = run.start + 100 * KiB + 3;
    await image.write(at, Buffer.alloc(5, 0x5a));
    image.zero(at + 64 * KiB, 128 * KiB);
    const got = await image.read(run.start, run.length);
    const want = seedDiskBytes(NAME, run.start, run.length);
    want.fill(0x5a, at - run.start, at - run.start + 5);
    want.fill(0, at - run.start + 64 * KiB, at - run.start + 192 * KiB);
    expect(got.equals(want)).toBe(true);
    expect(image.storedRanges()).toEqual([{ start: at, end: at + 5 }]);
    expect(image.data.intersects(at + 64 * KiB, at + 192 * KiB)).toBe(false);
  });

  it('a copy holds the same bytes, generated and written, and the maps given', async () => {
    const source = await seeded('source');
    const run = seedDiskRuns(NAME)[1]!;
    await source.write(run.start + 7, Buffer.from('written'));
    const copy = await store.copy(source, 'copy');
    for (const r of [...source.data.toArray(), { start: run.start - 3, end: run.start + 2 * MiB }]) {
      expect((await copy.read(r.start, r.end - r.start)).equals(await source.read(r.start, r.end - r.start))).toBe(true);
    }
    expect(copy.data.toArray()).toEqual(source.data.toArray());
    expect(copy.layer.toArray()).toEqual(source.layer.toArray());
    expect(copy.dirty.size).toBe(0);
    expect(copy.storedRanges()).toEqual([{ start: run.start + 7, end: run.start + 14 }]);
    // The copy is a point in time: later writes to the source do not reach it.
    await source.write(run.start, Buffer.from('later'));
    expect((await copy.read(run.start, 5)).equals(seedDiskBytes(NAME, run.start, 5))).toBe(true);
  });
});

describe('the simulator', () => {
  it('starts with its seeded disks generated: nothing written to its volumes', async () => {
    const sim = await startSimulator({ fast: true });
    try {
      let blocks = 0;
      for (const d of sim.engine.state.disks.values()) {
        const image = sim.images.get(d.id)!;
        blocks += (await stat(image.path)).blocks;
        expect(image.storedRanges()).toEqual([]);
      }
      expect(blocks).toBe(0);
      const disk = [...sim.engine.state.disks.values()].find((d) => d.name === NAME)!;
      const run = seedDiskRuns(NAME)[3]!;
      expect((await sim.images.get(disk.id)!.read(run.start - 1, 2 * MiB)).equals(seedDiskBytes(NAME, run.start - 1, 2 * MiB))).toBe(true);
    } finally {
      await sim.close();
    }
  });
});
