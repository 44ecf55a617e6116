/**
 * The qcow2 writer of downloads: guest data written in any order, by concurrent writers, through a
 * real partial file, gives an image that passes `qemu-img check`, equals the source under `qemu-img
 * compare`, allocates only the data clusters, and resumes into the same layout after an interruption.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../../main/engine/errors.js';
import { Qcow2FileSource } from '../../../main/engine/image/qcow2-source.js';
import { hostSegments, qcow2Layout } from '../../../main/engine/image/qcow2-layout.js';
import { Qcow2PartTarget } from '../../../main/engine/image/qcow2-writer.js';
import { RawFileSource, type LocalExtent } from '../../../main/engine/image/raw-source.js';
import { PartFile } from '../../../main/engine/transfer/part-file.js';
import { KiB, MiB, makeSourceRaw, qemuCheck, qemuCompare, qemuDataRanges } from './qcow2-fixtures.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-qcow2-writer-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Pieces of the data extents of random sizes (up to 1 MiB, not aligned), shuffled. */
function shuffledPieces(extents: readonly LocalExtent[]): Array<{ start: number; length: number }> {
  const pieces: Array<{ start: number; length: number }> = [];
  for (const e of extents) {
    if (e.zero) continue;
    for (let pos = e.start; pos < e.start + e.length; ) {
      const length = Math.min(e.start + e.length - pos, 1 + Math.floor(Math.random() * MiB));
      pieces.push({ start: pos, length });
      pos += length;
    }
  }
  for (let i = pieces.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [pieces[i], pieces[j]] = [pieces[j]!, pieces[i]!];
  }
  return pieces;
}

/** Copies the pieces from a raw file into the target with `workers` concurrent writers. */
async function copy(src: RawFileSource, target: Qcow2PartTarget, pieces: Array<{ start: number; length: number }>, workers = 4): Promise<void> {
  const queue = [...pieces];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        const buf = Buffer.alloc(p.length);
        await src.read(p.start, buf);
        await target.write(p.start, buf);
        target.markDone(p.start, p.length);
      }
    }),
  );
}

/** Writes `rawPath` as qcow2 at `out` (pieces out of order, 4 writers) and returns the layout used. */
async function writeQcow2(rawPath: string, out: string, clusterBits = 16) {
  const src = await RawFileSource.open(rawPath);
  try {
    const extents = await src.extents();
    const layout = qcow2Layout(src.size, extents.filter((e) => !e.zero), clusterBits);
    const target = await Qcow2PartTarget.attach(await PartFile.open(out, layout.fileSize, `test:${layout.id}`, { resume: false }), layout);
    await copy(src, target, shuffledPieces(extents));
    await target.complete();
    return { layout, extents };
  } finally {
    await src.close();
  }
}

describe('qcow2 writer', () => {
  it('writes out-of-order concurrent pieces into an image qemu checks and finds identical', async () => {
    const raw = await makeSourceRaw(join(dir, 'source.raw'));
    const out = join(dir, 'out.qcow2');
    const { extents } = await writeQcow2(raw, out);

    expect(await qemuCheck(out)).toMatch(/No errors were found/);
    await qemuCompare(raw, out);
    // Only clusters holding data are allocated, and the file stays sparse.
    const data = extents.filter((e) => !e.zero);
    const dataBytes = data.reduce((s, e) => s + e.length, 0);
    const mapped = (await qemuDataRanges(out)).reduce((s, e) => s + e.length, 0);
    expect(mapped).toBeGreaterThanOrEqual(dataBytes);
    expect(mapped).toBeLessThan(dataBytes + data.length * 2 * 64 * KiB);
    expect((await stat(out)).blocks * 512).toBeLessThan(dataBytes + MiB);
    // Our reader reads it back as the same guest bytes.
    const back = await Qcow2FileSource.open(out);
    try {
      const got = Buffer.alloc(back.size);
      await back.read(0, got);
      expect(got.equals(await readFile(raw))).toBe(true);
    } finally {
      await back.close();
    }
  });

  it('handles 512-byte clusters, where the refcount blocks must count themselves', async () => {
    const raw = await makeSourceRaw(join(dir, 'small.raw'), 3 * MiB + 512);
    const out = join(dir, 'small.qcow2');
    const { layout } = await writeQcow2(raw, out, 9);
    expect(layout.refcountBlocks).toBeGreaterThan(10);
    expect(await qemuCheck(out)).toMatch(/No errors were found/);
    await qemuCompare(raw, out);
  });

  it('writes a large sparse disk and an empty one as small, valid images', async () => {
    const big = join(dir, 'big.raw');
    const { open } = await import('node:fs/promises');
    const fh = await open(big, 'w');
    await fh.truncate(64 * 1024 * MiB);
    await fh.write(randomBytes(100 * KiB), 0, 100 * KiB, 40 * 1024 * MiB + 7);
    await fh.close();
    const out = join(dir, 'big.qcow2');
    await writeQcow2(big, out);
    expect((await stat(out)).size).toBeLessThan(2 * MiB);
    expect(await qemuCheck(out)).toMatch(/No errors were found/);
    await qemuCompare(big, out);

    const empty = join(dir, 'empty.raw');
    const eh = await open(empty, 'w');
    await eh.truncate(5 * MiB + 512);
    await eh.close();
    const emptyOut = join(dir, 'empty.qcow2');
    await writeQcow2(empty, emptyOut);
    expect(await qemuCheck(emptyOut)).toMatch(/No errors were found/);
    await qemuCompare(empty, emptyOut);
    expect(await qemuDataRanges(emptyOut)).toEqual([]);
  });

  it('resumes into the same layout: metadata is written once, the rest of the data after', async () => {
    const raw = await makeSourceRaw(join(dir, 'resume.raw'));
    const out = join(dir, 'resume.qcow2');
    const src = await RawFileSource.open(raw);
    try {
      const extents = await src.extents();
      const layout = qcow2Layout(src.size, extents.filter((e) => !e.zero));
      const pieces = shuffledPieces(extents);
      const half = Math.floor(pieces.length / 2);
      const first = await Qcow2PartTarget.attach(await PartFile.open(out, layout.fileSize, `test:${layout.id}`, { resume: true }), layout);
      await copy(src, first, pieces.slice(0, half));
      await first.close(); // interrupted: .part and journal stay

      const again = await PartFile.open(out, layout.fileSize, `test:${layout.id}`, { resume: true });
      expect(again.done.size).toBe(pieces.slice(0, half).reduce((s, p) => s + p.length, 0));
      const second = await Qcow2PartTarget.attach(again, layout);
      await copy(src, second, pieces.slice(half));
      await second.complete();
    } finally {
      await src.close();
    }
    expect(await qemuCheck(out)).toMatch(/No errors were found/);
    await qemuCompare(raw, out);
  });

  it('refuses a write outside the clusters the server called data', async () => {
    const layout = qcow2Layout(8 * MiB, [{ start: MiB, length: 100 }]);
    expect(hostSegments(layout, MiB, 100)).toHaveLength(1);
    expect(hostSegments(layout, 2 * MiB, 100)).toBeNull();
    const target = await Qcow2PartTarget.attach(await PartFile.open(join(dir, 'outside.qcow2'), layout.fileSize, 'x', { resume: false }), layout);
    try {
      const err = await target.write(3 * MiB, Buffer.alloc(10, 1)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DiskFerryError);
      expect((err as DiskFerryError).code).toBe('protocol');
    } finally {
      await target.close();
    }
  });
});
