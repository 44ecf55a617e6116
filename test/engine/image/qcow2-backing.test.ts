/**
 * The qcow2 writer's incremental images: a backing file named relative to the new file (format
 * qcow2, as a header extension), zero clusters that hide the backing file's data, unchanged areas
 * left unallocated. The real qemu-img checks the chain, follows it, and finds the guest data equal
 * to the changed disk; the folder can be moved.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incrementalLayout, qcow2Layout, type DirtyExtent, type Qcow2Layout } from '../../../main/engine/image/qcow2-layout.js';
import { Qcow2PartTarget } from '../../../main/engine/image/qcow2-writer.js';
import { RawFileSource } from '../../../main/engine/image/raw-source.js';
import { PartFile } from '../../../main/engine/transfer/part-file.js';
import { KiB, MiB, makeSourceRaw, qemu, qemuCheck, qemuCompare, qemuDataRanges } from './qcow2-fixtures.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-qcow2-backing-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `ranges` of the raw file into a new qcow2 of `layout` at `out`. */
async function writeRanges(raw: string, out: string, layout: Qcow2Layout, ranges: ReadonlyArray<{ start: number; length: number }>): Promise<void> {
  const src = await RawFileSource.open(raw);
  const target = await Qcow2PartTarget.attach(await PartFile.open(out, layout.fileSize, `test:${layout.id}`, { resume: false }), layout);
  try {
    for (const r of ranges) {
      const buf = Buffer.alloc(r.length);
      await src.read(r.start, buf);
      await target.write(r.start, buf);
      target.markDone(r.start, r.length);
    }
    await target.complete();
  } finally {
    await src.close();
  }
}

/** Changes to the disk between the two backups: what was written and what was zeroed. */
const changes: ReadonlyArray<{ start: number; length: number; zero: boolean }> = [
  { start: 3000, length: 67_000, zero: false }, // unaligned, inside data of the base
  { start: 3 * MiB + 10 * KiB, length: 190 * KiB, zero: true }, // unaligned zeroing of base data
  { start: 5 * MiB, length: MiB, zero: true }, // aligned zeroing of base data: zero clusters
  { start: 8 * MiB + 100, length: 10, zero: false }, // a few bytes where the base had nothing
];

/** The dirty extents imageio would report for `changes` on a disk of `size` bytes. */
function dirtyExtents(size: number): DirtyExtent[] {
  const out: DirtyExtent[] = [];
  let pos = 0;
  for (const c of changes) {
    if (c.start > pos) out.push({ start: pos, length: c.start - pos, dirty: false, zero: false });
    out.push({ start: c.start, length: c.length, dirty: true, zero: c.zero });
    pos = c.start + c.length;
  }
  if (pos < size) out.push({ start: pos, length: size - pos, dirty: false, zero: false });
  return out;
}

describe('qcow2 writer: incremental images on a backing file', () => {
  it('writes only changed clusters; qemu-img checks the chain, follows it and finds the changed disk', async () => {
    const baseRaw = await makeSourceRaw(join(dir, 'base.raw'));
    const src = await RawFileSource.open(baseRaw);
    const size = src.size;
    const extents = await src.extents();
    await src.close();
    const set = join(dir, 'set');
    await mkdir(join(set, 'full'), { recursive: true });
    await mkdir(join(set, 'inc'), { recursive: true });
    const full = qcow2Layout(size, extents.filter((e) => !e.zero));
    await writeRanges(baseRaw, join(set, 'full', 'disk.qcow2'), full, extents.filter((e) => !e.zero));

    // The disk after the changes.
    const nowRaw = join(dir, 'now.raw');
    await copyFile(baseRaw, nowRaw);
    const fh = await open(nowRaw, 'r+');
    for (const c of changes) await fh.write(c.zero ? Buffer.alloc(c.length) : randomBytes(c.length), 0, c.length, c.start);
    await fh.close();

    const { layout, fetch } = incrementalLayout(size, dirtyExtents(size), '../full/disk.qcow2');
    // Whole clusters around each change, nothing else; the aligned zeroing costs no data.
    expect(fetch).toEqual([
      { start: 0, length: 128 * KiB },
      { start: 3 * MiB, length: 64 * KiB }, // the partly zeroed edges of the unaligned zeroing
      { start: 3 * MiB + 192 * KiB, length: 64 * KiB },
      { start: 8 * MiB, length: 64 * KiB },
    ]);
    expect(layout.zeroRuns).toEqual([
      { guest: 49, count: 2 },
      { guest: 80, count: 16 },
    ]);
    const top = join(set, 'inc', 'disk.qcow2');
    await writeRanges(nowRaw, top, layout, fetch);

    expect(await qemuCheck(top)).toMatch(/No errors were found/);
    const chain = JSON.parse(await qemu('qemu-img', ['info', '--backing-chain', '--output=json', top])) as Array<Record<string, unknown>>;
    expect(chain).toHaveLength(2);
    expect(chain[0]).toMatchObject({ 'backing-filename': '../full/disk.qcow2', 'backing-filename-format': 'qcow2', 'virtual-size': size });
    await qemuCompare(nowRaw, top);
    // The top layer maps only the fetched clusters as its own data (qemu-img map of the layer alone).
    const own = await qemuDataRanges(`json:{"driver":"qcow2","backing":null,"file":{"driver":"file","filename":"${top}"}}`);
    expect(own.reduce((s, r) => s + r.length, 0)).toBe(fetch.reduce((s, r) => s + r.length, 0));

    // Relative names: the set moves as a whole.
    const moved = join(dir, 'moved');
    await rename(set, moved);
    await qemuCompare(nowRaw, join(moved, 'inc', 'disk.qcow2'));
    expect(await qemuCheck(join(moved, 'inc', 'disk.qcow2'))).toMatch(/No errors were found/);
  });

  it('a change to zeros over the partial last cluster and a whole-disk change', async () => {
    const size = 2 * MiB + 512;
    const extents: DirtyExtent[] = [
      { start: 0, length: 2 * MiB, dirty: false, zero: false },
      { start: 2 * MiB, length: 512, dirty: true, zero: true },
    ];
    const { layout, fetch } = incrementalLayout(size, extents, 'b.qcow2');
    expect(fetch).toEqual([]);
    expect(layout.zeroRuns).toEqual([{ guest: 32, count: 1 }]);
    const all = incrementalLayout(size, [{ start: 0, length: size, dirty: true, zero: false }], 'b.qcow2');
    expect(all.fetch).toEqual([{ start: 0, length: size }]);
    expect(() => qcow2Layout(size, [], { backingFile: 'x'.repeat(1024) })).toThrow(RangeError);
  });
});
