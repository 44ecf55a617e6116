import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, open, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawFileSource } from '../../../main/engine/image/raw-source.js';
import { linuxSparseFiles } from '../../../main/engine/os/linux.js';
import { isZero } from '../../../main/engine/image/zero-scan.js';

const MiB = 1024 * 1024;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-raw-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function sparseFile(name: string, size: number, writes: Array<[number, Buffer]>): Promise<string> {
  const p = join(dir, name);
  const fh = await open(p, 'w');
  await fh.truncate(size);
  for (const [off, data] of writes) await fh.write(data, 0, data.length, off);
  await fh.close();
  return p;
}

describe('RawFileSource', () => {
  it('finds data runs between holes and drops allocated zero blocks', async () => {
    const p = await sparseFile('a.raw', 64 * MiB, [
      [4 * MiB, Buffer.alloc(MiB, 0xaa)],
      [20 * MiB, Buffer.alloc(2 * MiB, 0)], // allocated but zero: must not count as data
      [40 * MiB + 100, Buffer.from('hello')],
    ]);
    const src = await RawFileSource.open(p);
    const extents = await src.extents();
    const data = extents.filter((e) => !e.zero);
    expect(data).toHaveLength(2);
    expect(data[0]).toEqual({ start: 4 * MiB, length: MiB, zero: false });
    // The run around 'hello' is one file-system block (SEEK_DATA) or one 64 KiB scan block (fallback).
    expect(data[1]!.start).toBeLessThanOrEqual(40 * MiB + 100);
    expect(data[1]!.start + data[1]!.length).toBeGreaterThanOrEqual(40 * MiB + 105);
    expect(data[1]!.length).toBeLessThanOrEqual(64 * 1024);
    expect(extents.reduce((s, e) => s + e.length, 0)).toBe(64 * MiB);
    const buf = Buffer.alloc(5);
    expect(await src.read(40 * MiB + 100, buf)).toBe(5);
    expect(buf.toString()).toBe('hello');
    await src.close();
  });

  it('plans an empty 100 GiB sparse file from the file system map', async () => {
    const p = await sparseFile('empty.raw', 100 * 1024 * MiB, []);
    const fh = await open(p, 'r');
    // On Linux the file system answers where the data is; elsewhere the fallback is a full scan.
    if (process.platform === 'linux') expect(linuxSparseFiles().dataRanges({ path: p, fd: fh.fd }, 100 * 1024 * MiB)).toEqual([]);
    await fh.close();
    const src = await RawFileSource.open(p);
    expect(await src.extents()).toEqual([{ start: 0, length: 100 * 1024 * MiB, zero: true }]);
    await src.close();
  });

  it('notices a file that changed while it was read', async () => {
    const p = await sparseFile('c.raw', MiB, [[0, Buffer.alloc(10, 1)]]);
    const src = await RawFileSource.open(p);
    await src.checkUnchanged();
    await utimes(p, new Date(), new Date(Date.now() + 5000));
    await expect(src.checkUnchanged()).rejects.toMatchObject({ code: 'image-changed' });
    await src.close();
  });

  it('detects zero buffers at any alignment', () => {
    const b = Buffer.alloc(1000);
    expect(isZero(b)).toBe(true);
    expect(isZero(b.subarray(3))).toBe(true);
    b[999] = 1;
    expect(isZero(b.subarray(3))).toBe(false);
  });
});
