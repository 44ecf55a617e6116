/**
 * The macOS sparse-file port over a recording fake of libSystem, fed what macOS answers: statfs's
 * f_fstypename and f_flags for APFS, HFS+, FAT, exFAT and an SMB share; F_PUNCHHOLE's struct and
 * its ENOTSUP; SEEK_DATA = 4 and SEEK_HOLE = 3. None of it can run on Linux.
 */
import { describe, expect, it } from 'vitest';
import { darwinSparseFiles, F_PUNCHHOLE, MNT_LOCAL, STATFS_FLAGS_AT, STATFS_FSTYPENAME_AT, STATFS_SIZE, type DarwinNative } from '../../../main/engine/os/darwin.js';

const MiB = 1024 * 1024;
const ENOTSUP = 45;
const ENXIO = 6;
const EINVAL = 22;

function fakeNative(answers: { fsTypeName?: string; flags?: number; statfs?: number; fcntl?: number; errno?: number; lseek?: (offset: number, whence: number) => number }) {
  const calls: unknown[][] = [];
  const native: DarwinNative = {
    statfs(path, buf) {
      calls.push(['statfs', path, buf.length]);
      if (answers.statfs === -1) return -1;
      buf.writeUInt32LE(answers.flags ?? MNT_LOCAL, STATFS_FLAGS_AT);
      buf.write(answers.fsTypeName ?? 'apfs', STATFS_FSTYPENAME_AT, 'utf8');
      return 0;
    },
    fcntl(fd, cmd, arg) {
      calls.push(['fcntl', fd, cmd, arg.readUInt32LE(0), Number(arg.readBigInt64LE(8)), Number(arg.readBigInt64LE(16))]);
      return answers.fcntl ?? 0;
    },
    lseek: (fd, offset, whence) => (calls.push(['lseek', fd, offset, whence]), answers.lseek?.(offset, whence) ?? -1),
    errno: () => answers.errno ?? 0,
  };
  return { native, calls };
}

describe('the macOS port over what libSystem answers', () => {
  it.each([
    ['apfs', MNT_LOCAL, { fileSystem: 'APFS', sparse: true, network: false }],
    ['hfs', MNT_LOCAL, { fileSystem: 'HFS+', sparse: false, network: false }],
    ['msdos', MNT_LOCAL, { fileSystem: 'FAT', sparse: false, network: false }],
    ['exfat', MNT_LOCAL, { fileSystem: 'exFAT', sparse: false, network: false }],
    ['smbfs', 0, { fileSystem: 'SMB share', sparse: false, network: true }],
    ['nfs', 0, { fileSystem: 'NFS', sparse: true, network: true }],
    ['lifs', MNT_LOCAL, { fileSystem: 'lifs', sparse: true, network: false }],
  ])('f_fstypename %s is read from a struct statfs', async (fsTypeName, flags, expected) => {
    const { native, calls } = fakeNative({ fsTypeName, flags });
    expect(await darwinSparseFiles(() => native).volume('/Volumes/USB')).toEqual(expected);
    expect(calls).toEqual([['statfs', '/Volumes/USB', STATFS_SIZE]]);
  });

  it('takes a failed statfs for an unknown volume', async () => {
    const { native } = fakeNative({ statfs: -1 });
    expect(await darwinSparseFiles(() => native).volume('/gone')).toEqual({ fileSystem: null, sparse: true, network: false });
  });

  it('punches with F_PUNCHHOLE (99) and a struct fpunchhole; ENOTSUP (HFS+) means "write the zeros"', () => {
    const { native, calls } = fakeNative({});
    expect(darwinSparseFiles(() => native).punchHole({ path: '/p', fd: 9 }, 2 * MiB, 64 * 1024)).toBe(true);
    expect(calls).toEqual([['fcntl', 9, F_PUNCHHOLE, 0, 2 * MiB, 64 * 1024]]);
    const hfs = fakeNative({ fcntl: -1, errno: ENOTSUP });
    expect(darwinSparseFiles(() => hfs.native).punchHole({ path: '/p', fd: 9 }, 0, 64 * 1024)).toBe(false);
  });

  it('leaves a piece that is not whole 4 KiB blocks to be written', () => {
    const { native, calls } = fakeNative({});
    const port = darwinSparseFiles(() => native);
    expect(port.punchHole({ path: '/p', fd: 9 }, 100, 8192)).toBe(false);
    expect(port.punchHole({ path: '/p', fd: 9 }, 4096, 1000)).toBe(false);
    expect(calls).toEqual([]);
  });

  it('seeks with SEEK_DATA = 4 and SEEK_HOLE = 3, the other way round from Linux', () => {
    const lseek = (offset: number, whence: number) => (whence === 4 ? (offset < MiB ? MiB : -1) : 3 * MiB);
    const { native, calls } = fakeNative({ lseek, errno: ENXIO });
    expect(darwinSparseFiles(() => native).dataRanges({ path: '/p', fd: 4 }, 8 * MiB)).toEqual([{ start: MiB, end: 3 * MiB }]);
    expect(calls.map((c) => c[3])).toEqual([4, 3, 4]);
    const { native: hfs } = fakeNative({ lseek: () => -1, errno: EINVAL });
    expect(darwinSparseFiles(() => hfs).dataRanges({ path: '/p', fd: 4 }, MiB)).toBeNull();
  });
});
