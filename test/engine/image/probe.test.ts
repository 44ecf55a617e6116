import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeImage } from '../../../main/engine/image/probe.js';
import { DiskFerryError } from '../../../main/engine/errors.js';
import { uploadTarget } from '../../../main/engine/plan/upload-target.js';
import { planItemFromProbe } from '../../../main/app/upload-planning.js';

let dir: string;

/** A minimal qcow2 v3 header; fields per the qcow2 specification. */
function qcow2Header(opts: { version?: number; size?: number; backing?: string; crypt?: number; incompatible?: bigint } = {}): Buffer {
  const buf = Buffer.alloc(4096);
  buf.writeUInt32BE(0x514649fb, 0);
  buf.writeUInt32BE(opts.version ?? 3, 4);
  buf.writeUInt32BE(16, 20); // 64 KiB clusters
  buf.writeBigUInt64BE(BigInt(opts.size ?? 1 << 30), 24);
  buf.writeUInt32BE(opts.crypt ?? 0, 32);
  buf.writeUInt32BE(16, 36); // l1 size
  buf.writeBigUInt64BE(0x30000n, 40);
  buf.writeBigUInt64BE(0x10000n, 48);
  buf.writeBigUInt64BE(opts.incompatible ?? 0n, 72);
  buf.writeUInt32BE(4, 96);
  buf.writeUInt32BE(112, 100);
  if (opts.backing) {
    buf.write(opts.backing, 512);
    buf.writeBigUInt64BE(512n, 8);
    buf.writeUInt32BE(Buffer.byteLength(opts.backing), 16);
  }
  return Buffer.concat([buf, Buffer.alloc(0x40000)]);
}

async function expectRefusal(path: string, code: string, text: RegExp): Promise<void> {
  const err = await probeImage(path).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DiskFerryError);
  expect((err as DiskFerryError).code).toBe(code);
  expect((err as DiskFerryError).message).toMatch(text);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-probe-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('probeImage', () => {
  it('detects a raw image and its size', async () => {
    const p = join(dir, 'disk.raw');
    await writeFile(p, Buffer.alloc(1 << 20, 7));
    const probe = await probeImage(p);
    expect(probe).toMatchObject({ format: 'raw', virtualSize: 1 << 20, contentType: 'data', name: 'disk.raw', qcow2: null });
  });

  it('detects an ISO by its volume descriptor at 0x8000', async () => {
    const p = join(dir, 'boot.iso');
    const buf = Buffer.alloc(0x9000);
    Buffer.from([1, 0x43, 0x44, 0x30, 0x30, 0x31, 1, 0]).copy(buf, 0x8000);
    await writeFile(p, buf);
    expect(await probeImage(p)).toMatchObject({ format: 'iso', contentType: 'iso', virtualSize: 0x9000 });
  });

  it('probes a file named .iso without the CD001 signature as raw, and its plan says so', async () => {
    const p = join(dir, 'not-really.iso');
    const buf = Buffer.alloc(0x9000, 0x55);
    Buffer.from('CD001').copy(buf, 0x4000); // the signature in the wrong place does not count
    await writeFile(p, buf);
    const probe = await probeImage(p);
    expect(probe).toMatchObject({ format: 'raw', contentType: 'data', virtualSize: 0x9000 });
    expect(planItemFromProbe(probe, 0)).toMatchObject({ format: 'raw', diskFormat: 'raw', notIso: true });
    const { notes } = uploadTarget(probe, { name: 'data-nfs', isBlock: false }, { storageDomain: 'data-nfs' });
    expect(notes).toEqual(['not-really.iso is not an ISO 9660 image (no CD001 signature at byte 32769); treated as a raw disk.']);
    const real = join(dir, 'boot2.iso');
    Buffer.from([1, 0x43, 0x44, 0x30, 0x30, 0x31, 1, 0]).copy(buf, 0x8000);
    await writeFile(real, buf);
    const isoProbe = await probeImage(real);
    expect(planItemFromProbe(isoProbe, 0).notIso).toBe(false);
    expect(uploadTarget(isoProbe, { name: 'data-nfs', isBlock: false }, { storageDomain: 'data-nfs' }).notes).toEqual([]);
  });

  it('reads the virtual size of a qcow2 image', async () => {
    const p = join(dir, 'good.qcow2');
    await writeFile(p, qcow2Header({ size: 5 * 2 ** 30 }));
    const probe = await probeImage(p);
    expect(probe.format).toBe('qcow2');
    expect(probe.virtualSize).toBe(5 * 2 ** 30);
    expect(probe.qcow2?.version).toBe(3);
  });

  it('refuses a qcow2 with a backing file and says how to flatten it', async () => {
    const p = join(dir, 'child.qcow2');
    await writeFile(p, qcow2Header({ backing: 'base.qcow2' }));
    await expectRefusal(p, 'unsupported-image', /backing file \(base\.qcow2\).*qemu-img convert/);
  });

  it('refuses encrypted, corrupt-flagged and unknown-version qcow2 images', async () => {
    await writeFile(join(dir, 'enc.qcow2'), qcow2Header({ crypt: 2 }));
    await expectRefusal(join(dir, 'enc.qcow2'), 'unsupported-image', /encrypted/);
    await writeFile(join(dir, 'bad.qcow2'), qcow2Header({ incompatible: 2n }));
    await expectRefusal(join(dir, 'bad.qcow2'), 'unsupported-image', /marked corrupt/);
    await writeFile(join(dir, 'v9.qcow2'), qcow2Header({ version: 9 }));
    await expectRefusal(join(dir, 'v9.qcow2'), 'unsupported-image', /version 9/);
    await writeFile(join(dir, 'trunc.qcow2'), qcow2Header().subarray(0, 40));
    await expectRefusal(join(dir, 'trunc.qcow2'), 'unsupported-image', /truncated/);
  });

  it('refuses other hypervisors\' images, archives and compressed files with the conversion to run', async () => {
    const head = (at: number, bytes: Buffer | string, size = 64 * 1024) => {
      const b = Buffer.alloc(size, 0x11);
      Buffer.from(bytes).copy(b, at);
      return b;
    };
    const cases: Array<[string, Buffer, RegExp]> = [
      ['disk.vmdk', head(0, 'KDMV'), /is a VMware VMDK image, not a raw, qcow2 or ISO image\. Convert it first, for example: qemu-img convert -f vmdk -O qcow2 disk\.vmdk disk\.vmdk\.qcow2/],
      ['disk-desc.vmdk', head(0, '# Disk DescriptorFile\nversion=1\n'), /VMDK descriptor/],
      ['disk.vhdx', head(0, 'vhdxfile'), /Hyper-V VHDX/],
      ['disk.vhd', head(0, 'conectix'), /-f vpc/],
      ['fixed.vhd', Buffer.concat([Buffer.alloc(4096, 0x22), head(0, 'conectix', 512)]), /fixed-size Hyper-V/],
      ['disk.vdi', head(0x40, Buffer.from([0x7f, 0x10, 0xda, 0xbe])), /VirtualBox VDI/],
      ['vm.ova', head(257, 'ustar'), /tar archive \(an OVA\?\), not a raw, qcow2 or ISO image\. Extract the disk image/],
      ['disk.raw.gz', head(0, Buffer.from([0x1f, 0x8b, 0x08])), /gzip-compressed.*gunzip -k disk\.raw\.gz/],
      ['disk.raw.xz', head(0, Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])), /xz-compressed/],
      ['disk.raw.zst', head(0, Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), /zstd-compressed/],
      ['disk.zip', head(0, Buffer.from([0x50, 0x4b, 0x03, 0x04])), /zip archive/],
    ];
    for (const [name, bytes, text] of cases) {
      await writeFile(join(dir, name), bytes);
      await expectRefusal(join(dir, name), 'unsupported-image', text);
    }
    // A raw disk may start with anything else: an MBR, a file system, random data.
    await writeFile(join(dir, 'mbr.raw'), head(510, Buffer.from([0x55, 0xaa])));
    expect((await probeImage(join(dir, 'mbr.raw'))).format).toBe('raw');
  });

  it('refuses empty files, folders and missing files with what to do', async () => {
    await writeFile(join(dir, 'empty.raw'), '');
    await expectRefusal(join(dir, 'empty.raw'), 'unsupported-image', /empty \(0 bytes\): it holds no disk image\. Check that you chose/);
    await mkdir(join(dir, 'folder'));
    await expectRefusal(join(dir, 'folder'), 'bad-input', /is a folder/);
    await expectRefusal(join(dir, 'nope.raw'), 'bad-input', /does not exist/);
  });
});
