/**
 * Images the reader must refuse, each with a message that says what is wrong and what to do:
 * a corrupt header, a backing file that is not there, encryption, an external data file, L1 and L2 entries that are
 * misaligned or point outside the file, a truncated file, a cluster that does not decompress.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../../main/engine/errors.js';
import { Qcow2FileSource } from '../../../main/engine/image/qcow2-source.js';
import { makeQcow2, makeSourceRaw, MiB, qemu } from './qcow2-fixtures.js';

let dir: string;
let plain: Buffer;
let deflate: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-qcow2-refuse-'));
  const source = await makeSourceRaw(join(dir, 'source.raw'));
  plain = await readFile(await makeQcow2(dir, 'v3', source));
  deflate = await readFile(await makeQcow2(dir, 'deflate', source));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Opens, maps and reads the whole image; returns the error it ends with. */
async function failureOf(path: string): Promise<DiskFerryError> {
  const err = await (async () => {
    const src = await Qcow2FileSource.open(path);
    try {
      await src.extents();
      const buf = Buffer.alloc(MiB);
      for (let pos = 0; pos < src.size; pos += MiB) await src.read(pos, buf);
    } finally {
      await src.close();
    }
  })().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `${path} was not refused`).toBeInstanceOf(DiskFerryError);
  expect((err as DiskFerryError).code).toBe('unsupported-image');
  return err as DiskFerryError;
}

async function patched(name: string, base: Buffer, patch: (b: Buffer) => Buffer | void): Promise<string> {
  const copy = Buffer.from(base);
  const path = join(dir, name);
  await writeFile(path, patch(copy) ?? copy);
  return path;
}

const l1Offset = (b: Buffer) => Number(b.readBigUInt64BE(40));
/** File offset of the first L2 table (from the first L1 entry). */
const l2Offset = (b: Buffer) => Number(b.readBigUInt64BE(l1Offset(b)) & 0x00fffffffffffe00n);

describe('qcow2 images the reader refuses', () => {
  it('a corrupt header', async () => {
    const path = await patched('bad-cluster-bits.qcow2', plain, (b) => void b.writeUInt32BE(40, 20));
    expect((await failureOf(path)).message).toMatch(/corrupt qcow2 header \(cluster bits 40\)/);
  });

  it('a backing file that is not there (a chain is read whole: qcow2-chain.test.ts)', async () => {
    const base = join(dir, 'base.qcow2');
    const overlay = join(dir, 'overlay.qcow2');
    await qemu('qemu-img', ['create', '-f', 'qcow2', base, '4M']);
    await qemu('qemu-img', ['create', '-f', 'qcow2', '-b', base, '-F', 'qcow2', overlay]);
    await rm(base);
    expect((await failureOf(overlay)).message).toMatch(/backing file \(.*base\.qcow2\), which is not there.*flatten it first: qemu-img convert/);
  });

  it('encryption', async () => {
    const path = join(dir, 'aes.qcow2'); // AES, not LUKS: LUKS spends seconds on its key derivation
    await qemu('qemu-img', ['create', '--object', 'secret,id=s0,data=secret', '-f', 'qcow2', '-o', 'encrypt.format=aes,encrypt.key-secret=s0', path, '4M']);
    expect((await failureOf(path)).message).toMatch(/encrypted qcow2 image\. Decrypt it first/);
  });

  it('an external data file', async () => {
    const path = join(dir, 'external.qcow2');
    await qemu('qemu-img', ['create', '-f', 'qcow2', '-o', `data_file=${join(dir, 'external.data')}`, path, '4M']);
    expect((await failureOf(path)).message).toMatch(/external data file/);
  });

  it('an image qemu marked corrupt', async () => {
    const path = await patched('marked.qcow2', plain, (b) => void b.writeBigUInt64BE(2n, 72));
    expect((await failureOf(path)).message).toMatch(/marked corrupt by qemu\. Repair it with qemu-img check -r all/);
  });

  it('an L1 table larger than the file', async () => {
    const path = await patched('l1-huge.qcow2', plain, (b) => void b.writeUInt32BE(4 * 1024 * 1024, 36));
    expect((await failureOf(path)).message).toMatch(/L1 table .* is larger than the file/);
  });

  it('an L1 table too small for the virtual size', async () => {
    const path = await patched('l1-small.qcow2', plain, (b) => void b.writeBigUInt64BE(BigInt(64 * 1024 ** 3), 24));
    expect((await failureOf(path)).message).toMatch(/too few for a virtual size/);
  });

  it('an L1 entry that points at a misaligned L2 table', async () => {
    const path = await patched('l1-misaligned.qcow2', plain, (b) => void b.writeBigUInt64BE(BigInt(l2Offset(b) + 4096) | (1n << 63n), l1Offset(b)));
    expect((await failureOf(path)).message).toMatch(/L1 entry 0 points at a misaligned L2 table/);
  });

  it('an L2 entry that points at a misaligned cluster', async () => {
    const path = await patched('l2-misaligned.qcow2', plain, (b) => {
      const at = l2Offset(b);
      b.writeBigUInt64BE(b.readBigUInt64BE(at) + 512n, at);
    });
    expect((await failureOf(path)).message).toMatch(/L2 entry of guest offset 0 points at a misaligned cluster .*qemu-img check/);
  });

  it('an L2 entry past the end of the file', async () => {
    const path = await patched('l2-past-end.qcow2', plain, (b) => void b.writeBigUInt64BE((1n << 63n) | BigInt(1024 * 1024 * 1024), l2Offset(b)));
    expect((await failureOf(path)).message).toMatch(/points past the end of the file/);
  });

  it('a truncated file', async () => {
    const path = await patched('truncated.qcow2', plain, (b) => b.subarray(0, l2Offset(b) + 64 * 1024 + 4096));
    expect((await failureOf(path)).message).toMatch(/past the end of the file/);
  });

  it('a compressed cluster that does not decompress', async () => {
    const path = await patched('bad-deflate.qcow2', deflate, (b) => {
      // The first compressed entry of the first L2 table: overwrite its data with garbage.
      const l2 = l2Offset(b);
      for (let i = 0; i < 8192; i++) {
        const entry = b.readBigUInt64BE(l2 + i * 8);
        if ((entry & (1n << 62n)) === 0n) continue;
        const host = Number(entry & ((1n << 54n) - 1n));
        b.fill(0xff, host, host + 64);
        return;
      }
      throw new Error('the deflate fixture has no compressed cluster');
    });
    expect((await failureOf(path)).message).toMatch(/compressed cluster at guest offset \d+ cannot be decompressed \(deflate: /);
  });
});
