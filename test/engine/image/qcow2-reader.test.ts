/**
 * The qcow2 reader against qemu: for every kind of fixture (v2, v3, zero clusters, deflate and zstd
 * compressed clusters, extended L2 with subclusters, 512-byte clusters, a size that is not a cluster
 * multiple) the guest bytes equal `qemu-img convert -O raw` and the data extents equal `qemu-img map`.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Qcow2FileSource } from '../../../main/engine/image/qcow2-source.js';
import { FIXTURE_KINDS, MiB, makeQcow2, makeSourceRaw, qemuDataRanges, qemuRaw, type FixtureKind } from './qcow2-fixtures.js';

let dir: string;
let source: string;
const fixtures = new Map<FixtureKind, { qcow2: string; raw: string }>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-qcow2-reader-'));
  source = await makeSourceRaw(join(dir, 'source.raw'));
  for (const kind of FIXTURE_KINDS) {
    const qcow2 = await makeQcow2(dir, kind, source);
    fixtures.set(kind, { qcow2, raw: await qemuRaw(qcow2, join(dir, `${kind}.raw`)) });
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(FIXTURE_KINDS)('qcow2 reader: %s', (kind) => {
  it('reads the same guest bytes as qemu, in pieces of odd sizes at odd offsets', async () => {
    const { qcow2, raw } = fixtures.get(kind)!;
    const expected = await readFile(raw);
    const src = await Qcow2FileSource.open(qcow2);
    try {
      expect(src.size).toBe(expected.length);
      const got = Buffer.alloc(src.size);
      // 1 MiB + 123 bytes: every piece starts and ends inside a cluster (and a subcluster).
      for (let pos = 0; pos < src.size; ) pos += await src.read(pos, got.subarray(pos, Math.min(src.size, pos + MiB + 123)));
      expect(got.equals(expected)).toBe(true);
      // Reads past the end return what exists, then nothing.
      expect(await src.read(src.size - 10, Buffer.alloc(100))).toBe(10);
      expect(await src.read(src.size, Buffer.alloc(100))).toBe(0);
    } finally {
      await src.close();
    }
  });

  it('reports as data exactly what qemu reports as data', async () => {
    const { qcow2 } = fixtures.get(kind)!;
    const src = await Qcow2FileSource.open(qcow2);
    try {
      const extents = await src.extents();
      const data = extents.filter((e) => !e.zero).map((e) => ({ start: e.start, length: e.length }));
      expect(data).toEqual(await qemuDataRanges(qcow2));
      // The extents tile the whole disk.
      expect(extents[0]?.start).toBe(0);
      for (let i = 1; i < extents.length; i++) expect(extents[i]!.start).toBe(extents[i - 1]!.start + extents[i - 1]!.length);
      expect(extents.at(-1)!.start + extents.at(-1)!.length).toBe(src.size);
    } finally {
      await src.close();
    }
  });
});

describe('qcow2 reader details', () => {
  it('has zero extents where qemu-io wrote zero clusters, and the bytes there are zero', async () => {
    const { qcow2 } = fixtures.get('zero-clusters')!;
    const src = await Qcow2FileSource.open(qcow2);
    try {
      const extents = await src.extents();
      const at = (offset: number) => extents.find((e) => e.start <= offset && offset < e.start + e.length)!;
      expect(at(8 * MiB).zero).toBe(true); // `write -z 8M 1M` over data
      expect(at(200 * 1024).zero).toBe(true); // `write -z 128k 256k` over data
      const buf = Buffer.alloc(MiB, 0xff);
      await src.read(8 * MiB, buf);
      expect(buf.equals(Buffer.alloc(MiB))).toBe(true);
    } finally {
      await src.close();
    }
  });

  it('sees a qcow2 that changed after it was opened', async () => {
    const { qcow2 } = fixtures.get('v3')!;
    const src = await Qcow2FileSource.open(qcow2);
    try {
      await src.checkUnchanged();
      const { utimes } = await import('node:fs/promises');
      const st = await stat(qcow2);
      await utimes(qcow2, st.atime, new Date(st.mtimeMs + 5000));
      await expect(src.checkUnchanged()).rejects.toMatchObject({ code: 'image-changed' });
    } finally {
      await src.close();
    }
  });
});
