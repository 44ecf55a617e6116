/**
 * The Linux sparse-file port: for real on this machine's file systems (holes punched, the data map),
 * and with a recording fake of the native layer for what a FAT, exFAT or SMB mount answers, which a
 * test cannot mount without the kernel's modules.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freebsdSparseFiles, linuxSparseFiles, type LinuxNative } from '../../../main/engine/os/linux.js';
import { sparseFilesFor } from '../../../main/engine/os/index.js';

const MiB = 1024 * 1024;
const EOPNOTSUPP = 95;
const ENXIO = 6;
const EINVAL = 22;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-os-linux-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** A native layer that answers like a kernel would for one mount; records every call. */
function fakeNative(answers: { fsType?: number; fallocate?: number; fadvise?: number; errno?: number; lseek?: (offset: number, whence: number) => number }): LinuxNative & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    statfs: async (d) => (calls.push(['statfs', d]), { type: answers.fsType ?? 0xef53 }),
    fallocate: (fd, mode, offset, length) => (calls.push(['fallocate', fd, mode, offset, length]), answers.fallocate ?? 0),
    lseek: (fd, offset, whence) => (calls.push(['lseek', fd, offset, whence]), answers.lseek?.(offset, whence) ?? -1),
    posix_fadvise: (fd, offset, length, advice) => (calls.push(['posix_fadvise', fd, offset, length, advice]), answers.fadvise ?? 0),
    errno: () => answers.errno ?? 0,
  };
}

describe.runIf(process.platform === 'linux')('the Linux port on real files', () => {
  it('punches a hole into written data: the blocks are freed and read back as zeros', async () => {
    const path = join(dir, 'punch.raw');
    const fh = await open(path, 'w+');
    await fh.write(Buffer.alloc(8 * MiB, 0xab), 0, 8 * MiB, 0);
    await fh.datasync();
    const before = (await stat(path)).blocks;
    const port = sparseFilesFor('linux');
    expect(port.punchHole({ path, fd: fh.fd }, 2 * MiB, 4 * MiB)).toBe(true);
    const after = (await stat(path)).blocks;
    expect(before - after).toBeGreaterThanOrEqual((4 * MiB) / 512 - 16);
    const back = Buffer.alloc(8 * MiB);
    await fh.read(back, 0, 8 * MiB, 0);
    expect(back.subarray(0, 2 * MiB).every((b) => b === 0xab)).toBe(true);
    expect(back.subarray(2 * MiB, 6 * MiB).every((b) => b === 0)).toBe(true);
    expect(back.subarray(6 * MiB).every((b) => b === 0xab)).toBe(true);
    expect((await stat(path)).size).toBe(8 * MiB); // KEEP_SIZE
    expect(port.dataRanges({ path, fd: fh.fd }, 8 * MiB)).toEqual([
      { start: 0, end: 2 * MiB },
      { start: 6 * MiB, end: 8 * MiB },
    ]);
    await fh.close();
  });

  it('drops a synced file from the page cache and keeps its bytes', async () => {
    const path = join(dir, 'cached.raw');
    const fh = await open(path, 'w+');
    const data = Buffer.alloc(8 * MiB, 0x5a);
    await fh.write(data, 0, data.length, 0);
    await fh.datasync();
    expect(sparseFilesFor('linux').dropCached({ path, fd: fh.fd }, 0, 0)).toBe(true);
    // fincore (util-linux) counts the file's pages in the page cache, where it is installed.
    if (existsSync('/usr/bin/fincore')) expect(execFileSync('/usr/bin/fincore', ['-b', '-n', '-o', 'RES', path], { encoding: 'utf8' }).trim()).toBe('0');
    const back = Buffer.alloc(data.length);
    await fh.read(back, 0, back.length, 0);
    expect(back.equals(data)).toBe(true);
    await fh.close();
  });

  it('names the file system of a real folder and knows it holds sparse files', async () => {
    const volume = await sparseFilesFor('linux').volume(dir);
    expect(volume.sparse).toBe(true);
    // Whatever this machine's temporary folder is on, the answer is a name or unknown, never a guess.
    expect(volume.fileSystem === null || /^(ext4|XFS|Btrfs|tmpfs|overlay|ZFS|F2FS|NFS)$/.test(volume.fileSystem)).toBe(true);
  });
});

describe('the Linux port over what the kernel answers', () => {
  it.each([
    [0x4d44, 'FAT', false, false],
    [0x2011bab0, 'exFAT', false, false],
    [0x482b, 'HFS+', false, false],
    [0xff534d42, 'SMB share', false, true],
    [0xfe534d42, 'SMB share', false, true],
    [0x6969, 'NFS', true, true],
    [0xef53, 'ext4', true, false],
    [0x58465342, 'XFS', true, false],
  ])('statfs f_type %s is %s (sparse %s, network %s)', async (fsType, fileSystem, sparse, network) => {
    const native = fakeNative({ fsType });
    expect(await linuxSparseFiles(() => native).volume('/mnt/usb')).toEqual({ fileSystem, sparse, network });
    expect(native.calls).toEqual([['statfs', '/mnt/usb']]);
  });

  it('takes an unknown file system, or a statfs that fails, for one that holds sparse files', async () => {
    expect(await linuxSparseFiles(() => fakeNative({ fsType: 0x12345678 })).volume('/x')).toEqual({ fileSystem: null, sparse: true, network: false });
    const failing = { ...fakeNative({}), statfs: () => Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' })) };
    expect(await linuxSparseFiles(() => failing).volume('/gone')).toEqual({ fileSystem: null, sparse: true, network: false });
  });

  it('asks fallocate for PUNCH_HOLE | KEEP_SIZE, and reports EOPNOTSUPP (FAT, exFAT) as "write the zeros"', () => {
    const ok = fakeNative({});
    expect(linuxSparseFiles(() => ok).punchHole({ path: '/p', fd: 7 }, 65536, 131072)).toBe(true);
    expect(ok.calls).toEqual([['fallocate', 7, 3, 65536, 131072]]);
    const fat = fakeNative({ fallocate: -1, errno: EOPNOTSUPP });
    expect(linuxSparseFiles(() => fat).punchHole({ path: '/p', fd: 7 }, 0, 65536)).toBe(false);
  });

  it('asks posix_fadvise for DONTNEED (4), and says so when it fails or libc cannot be loaded', () => {
    const ok = fakeNative({});
    expect(linuxSparseFiles(() => ok).dropCached({ path: 'f', fd: 7 }, 0, 0)).toBe(true);
    expect(ok.calls).toEqual([['posix_fadvise', 7, 0, 0, 4]]);
    expect(linuxSparseFiles(() => fakeNative({ fadvise: EINVAL })).dropCached({ path: 'f', fd: 7 }, 0, 0)).toBe(false);
    expect(linuxSparseFiles(() => null).dropCached({ path: 'f', fd: 7 }, 0, 0)).toBe(false);
  });

  it('walks SEEK_DATA (3) / SEEK_HOLE (4) and stops at ENXIO', () => {
    // Data at [1 MiB, 2 MiB) and [5 MiB, end of an 8 MiB file).
    const lseek = (offset: number, whence: number) => {
      if (whence === 3) return offset < 1 * MiB ? 1 * MiB : offset < 5 * MiB ? 5 * MiB : offset;
      return offset < 2 * MiB ? 2 * MiB : 8 * MiB;
    };
    const native = fakeNative({ lseek });
    expect(linuxSparseFiles(() => native).dataRanges({ path: '/p', fd: 3 }, 8 * MiB)).toEqual([
      { start: 1 * MiB, end: 2 * MiB },
      { start: 5 * MiB, end: 8 * MiB },
    ]);
    expect(native.calls.map((c) => c[3])).toEqual([3, 4, 3, 4]);
    const empty = fakeNative({ lseek: () => -1, errno: ENXIO });
    expect(linuxSparseFiles(() => empty).dataRanges({ path: '/p', fd: 3 }, 8 * MiB)).toEqual([]);
  });

  it('answers null (scan the file) when lseek fails otherwise, or when libc cannot be loaded', () => {
    expect(linuxSparseFiles(() => fakeNative({ lseek: () => -1, errno: EINVAL })).dataRanges({ path: '/p', fd: 3 }, MiB)).toBeNull();
    const none = linuxSparseFiles(() => null);
    expect(none.dataRanges({ path: '/p', fd: 3 }, MiB)).toBeNull();
    expect(none.punchHole({ path: '/p', fd: 3 }, 0, MiB)).toBe(false);
  });

  it('keeps FreeBSD to the data map it had: SEEK_DATA = 3 / SEEK_HOLE = 4, no punching, volumes unknown', async () => {
    const native = fakeNative({ lseek: (offset, whence) => (whence === 3 ? (offset === 0 ? MiB : -1) : 2 * MiB), errno: ENXIO });
    const port = freebsdSparseFiles(() => native);
    expect(port.dataRanges({ path: '/p', fd: 3 }, 4 * MiB)).toEqual([{ start: MiB, end: 2 * MiB }]);
    expect(native.calls.map((c) => c[3])).toEqual([3, 4, 3]);
    expect(port.punchHole({ path: '/p', fd: 3 }, 0, MiB)).toBe(false);
    expect(await port.volume('/mnt')).toEqual({ fileSystem: null, sparse: true, network: false });
  });
});
