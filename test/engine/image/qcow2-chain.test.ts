/**
 * The qcow2 reader follows a backing chain as qemu does: the collapsed guest data of a chain equals
 * `qemu-img convert -O raw` of its top, data and zero extents merge across the layers (holes stay
 * holes), and a broken chain — a missing file, a loop, a backing format we do not read — is refused
 * with what to do. Chains are made by qemu-img and qemu-io.
 */
import { mkdir, mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../../main/engine/errors.js';
import { probeImage } from '../../../main/engine/image/probe.js';
import { Qcow2FileSource } from '../../../main/engine/image/qcow2-source.js';
import { makeChain } from './qcow2-chain-fixtures.js';
import { qemu, qemuDataRanges, qemuGuestBytes } from './qcow2-fixtures.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-qcow2-chain-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Reads the whole guest view in odd-sized pieces (so reads cross clusters and layers). */
async function readAll(src: Qcow2FileSource): Promise<Buffer> {
  const out = Buffer.alloc(src.size);
  for (let pos = 0; pos < src.size; ) {
    const n = await src.read(pos, out.subarray(pos, Math.min(src.size, pos + 333 * 1024)));
    pos += n;
  }
  return out;
}

async function refusal(path: string): Promise<DiskFerryError> {
  const err = await Qcow2FileSource.open(path).then(
    async (s) => {
      await s.close();
      return null;
    },
    (e: unknown) => e,
  );
  expect(err, `${path} was not refused`).toBeInstanceOf(DiskFerryError);
  expect((err as DiskFerryError).code).toBe('unsupported-image');
  // The probe (the plan) refuses it the same way, before anything is created.
  const probed = await probeImage(path).then(() => null, (e: unknown) => e);
  expect(probed).toBeInstanceOf(DiskFerryError);
  expect((probed as DiskFerryError).message).toBe((err as DiskFerryError).message);
  return err as DiskFerryError;
}

describe('a qcow2 backing chain read natively', () => {
  it.each([
    ['a qcow2 base', { baseFormat: 'qcow2' as const, extendedL2: false, prefix: 'q' }],
    ['a raw base', { baseFormat: 'raw' as const, extendedL2: false, prefix: 'r' }],
    ['a top with extended L2 entries', { baseFormat: 'qcow2' as const, extendedL2: true, prefix: 'x' }],
  ])('%s: the collapsed guest data equals qemu-img convert of the top', async (_what, options) => {
    const chain = await makeChain(dir, options);
    const want = await qemuGuestBytes(chain.top, join(dir, `${options.prefix}.want.raw`));
    const src = await Qcow2FileSource.open(chain.top);
    try {
      expect(src.size).toBe(12 * 1024 * 1024);
      expect(src.files).toEqual([...chain.files].reverse());
      const got = await readAll(src);
      expect(got.equals(want)).toBe(true);
      // Extents cover the image; zero extents read as zeros; every non-zero byte is in a data extent.
      const extents = await src.extents();
      let pos = 0;
      for (const e of extents) {
        expect(e.start).toBe(pos);
        pos += e.length;
        if (e.zero) expect(got.subarray(e.start, e.start + e.length).every((b) => b === 0)).toBe(true);
      }
      expect(pos).toBe(src.size);
      // Zeroed runs stay holes: the masked base run and the zeroed middle data are not data.
      const dataAt = (off: number) => extents.some((e) => !e.zero && e.start <= off && off < e.start + e.length);
      expect(dataAt(3 * 1024 * 1024 + 4096)).toBe(false); // the middle zeroed the base's 0x12 run
      expect(dataAt(4 * 1024 * 1024)).toBe(false); // the top zeroed the middle's 0x22 run
      expect(dataAt(9 * 1024 * 1024)).toBe(false); // past the base's end, never written
      expect(dataAt(10 * 1024 * 1024)).toBe(true);
      if (options.baseFormat === 'qcow2') {
        // All layers qcow2: the data is exactly what qemu maps as data across the chain.
        const qemuData = await qemuDataRanges(chain.top);
        expect(extents.filter((e) => !e.zero).map((e) => ({ start: e.start, length: e.length }))).toEqual(qemuData);
      }
    } finally {
      await src.close();
    }
  });

  it('the probe lists the chain under the top, nearest first', async () => {
    const chain = await makeChain(dir, { prefix: 'p' });
    const probe = await probeImage(chain.top);
    expect(probe).toMatchObject({ format: 'qcow2', virtualSize: 12 * 1024 * 1024 });
    expect(probe.qcow2).toMatchObject({ backingFile: 'p-mid.qcow2', backingFormat: 'qcow2' });
    expect(probe.chain).toEqual([chain.files[1], chain.files[0]]);
  });

  it('a changed backing file is noticed while the top is read', async () => {
    const chain = await makeChain(dir, { prefix: 'c' });
    const src = await Qcow2FileSource.open(chain.top);
    try {
      await src.checkUnchanged();
      await utimes(chain.files[0]!, new Date(), new Date(Date.now() + 5000));
      await expect(src.checkUnchanged()).rejects.toMatchObject({ code: 'image-changed', message: expect.stringContaining(basename(chain.files[0]!)) });
    } finally {
      await src.close();
    }
  });

  it('names resolve against the folder of the file that names them, wherever the reader runs from', async () => {
    const sub = join(dir, 'moved', 'run2');
    await mkdir(join(dir, 'moved', 'run1'), { recursive: true });
    await mkdir(sub, { recursive: true });
    const base = join(dir, 'moved', 'run1', 'd.qcow2');
    const top = join(sub, 'd.qcow2');
    await qemu('qemu-img', ['create', '-f', 'qcow2', base, '4M']);
    await qemu('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x44 0 1M', base]);
    await qemu('qemu-img', ['create', '-f', 'qcow2', '-b', '../run1/d.qcow2', '-F', 'qcow2', top]);
    const src = await Qcow2FileSource.open(top);
    try {
      const got = await readAll(src);
      expect(got.equals(await qemuGuestBytes(top, join(dir, 'moved.raw')))).toBe(true);
      expect(got[0]).toBe(0x44);
    } finally {
      await src.close();
    }
  });
});

describe('broken chains are refused with what to do', () => {
  it('a missing backing file', async () => {
    const top = join(dir, 'orphan.qcow2');
    await qemu('qemu-img', ['create', '-f', 'qcow2', '-u', '-b', 'gone.qcow2', '-F', 'qcow2', top, '4M']);
    expect((await refusal(top)).message).toMatch(
      new RegExp(`orphan\\.qcow2 is a qcow2 image with a backing file \\(gone\\.qcow2\\), which is not there: looked for ${join(dir, 'gone.qcow2').replace(/[.]/g, '\\.')}\\. Keep the chain's files together .*qemu-img convert -O qcow2 orphan\\.qcow2 orphan-flat\\.qcow2`),
    );
  });

  it('a loop', async () => {
    const a = join(dir, 'loop-a.qcow2');
    const b = join(dir, 'loop-b.qcow2');
    await qemu('qemu-img', ['create', '-f', 'qcow2', a, '4M']);
    await qemu('qemu-img', ['create', '-f', 'qcow2', '-b', 'loop-a.qcow2', '-F', 'qcow2', b]);
    await qemu('qemu-img', ['rebase', '-u', '-f', 'qcow2', '-b', 'loop-b.qcow2', '-F', 'qcow2', a]);
    expect((await refusal(b)).message).toMatch(/loop-b\.qcow2 has a backing chain that loops: loop-a\.qcow2 names loop-b\.qcow2, which is already in the chain/);
  });

  it('a backing format DiskFerry does not read', async () => {
    const base = join(dir, 'base.vmdk');
    const top = join(dir, 'on-vmdk.qcow2');
    await qemu('qemu-img', ['create', '-f', 'vmdk', base, '4M']);
    await qemu('qemu-img', ['create', '-f', 'qcow2', '-b', 'base.vmdk', '-F', 'vmdk', top]);
    expect((await refusal(top)).message).toMatch(/on-vmdk\.qcow2 has a backing file base\.vmdk in vmdk format; DiskFerry reads qcow2 and raw backing files only\. Flatten the chain first/);
  });

  it('a backing name that is not a file (a protocol)', async () => {
    const top = join(dir, 'nbd-top.qcow2');
    await qemu('qemu-img', ['create', '-f', 'qcow2', '-u', '-b', 'nbd://localhost/x', '-F', 'raw', top, '4M']);
    expect((await refusal(top)).message).toMatch(/backing file that is not a plain file \("nbd:\/\/localhost\/x"\)/);
  });

  it('a layer declared qcow2 that is not one', async () => {
    const fake = join(dir, 'fake.qcow2');
    const top = join(dir, 'on-fake.qcow2');
    await qemu('qemu-img', ['create', '-f', 'raw', fake, '4M']);
    await qemu('qemu-img', ['create', '-f', 'qcow2', '-u', '-b', 'fake.qcow2', '-F', 'qcow2', top, '4M']);
    const err = await Qcow2FileSource.open(top).then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'unsupported-image', message: expect.stringMatching(/fake\.qcow2 is not a qcow2 image/) });
    await expect(probeImage(top)).rejects.toMatchObject({ message: expect.stringMatching(/fake\.qcow2, in the backing chain of on-fake\.qcow2, is declared qcow2 but is not a qcow2 image/) });
  });
});
