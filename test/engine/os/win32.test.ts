/**
 * The Windows sparse-file port over a recording fake of kernel32, fed what Windows answers: volume
 * flags of NTFS, exFAT and FAT32 and an SMB share; FSCTL_SET_SPARSE and FSCTL_SET_ZERO_DATA with
 * ERROR_INVALID_FUNCTION on FAT; FSCTL_QUERY_ALLOCATED_RANGES in pages with ERROR_MORE_DATA.
 * None of it can run on Linux.
 */
import { describe, expect, it } from 'vitest';
import { win32SparseFiles } from '../../../main/engine/os/win32.js';
import {
  ERROR_INVALID_FUNCTION,
  ERROR_MORE_DATA,
  FILE_SHARE_ALL,
  FILE_SUPPORTS_SPARSE_FILES,
  FSCTL_QUERY_ALLOCATED_RANGES,
  FSCTL_SET_SPARSE,
  FSCTL_SET_ZERO_DATA,
  GENERIC_READ,
  GENERIC_WRITE,
  OPEN_EXISTING,
  type Win32Native,
} from '../../../main/engine/os/win32-native.js';

const MiB = 1024 * 1024;
const FILE_SUPPORTS_OTHERS = 0x0007_00ff & ~FILE_SUPPORTS_SPARSE_FILES; // case, unicode, ACLs, compression…

interface Volume {
  readonly root: string;
  readonly fileSystem: string;
  readonly flags: number;
  readonly remote?: boolean;
}

/** kernel32 for one volume: files open unless told otherwise; each DeviceIoControl answers by its code. */
function fakeKernel32(volume: Volume | null, io: (code: number, input: Buffer | null, output: Buffer | null) => { ok: boolean; bytes: number; error?: number } = () => ({ ok: true, bytes: 0 }), openFails = false) {
  const calls: unknown[][] = [];
  let lastError = 0;
  let handles = 0;
  const open = new Set<number>();
  const native: Win32Native = {
    createFile(path, access, share, disposition, flags) {
      calls.push(['CreateFileW', path, access, share, disposition, flags]);
      if (openFails) {
        lastError = 32; // ERROR_SHARING_VIOLATION
        return -1;
      }
      open.add(++handles + 100);
      return handles + 100;
    },
    deviceIoControl(handle, code, input, output) {
      calls.push(['DeviceIoControl', handle, code, input ? [...input] : null, output?.length ?? 0]);
      const r = io(code, input, output);
      lastError = r.error ?? 0;
      return { ok: r.ok, bytes: r.bytes };
    },
    closeHandle(handle) {
      calls.push(['CloseHandle', handle]);
      return open.delete(Number(handle));
    },
    volumePathName: (path) => (calls.push(['GetVolumePathNameW', path]), volume?.root ?? null),
    volumeInformation: (root) => (calls.push(['GetVolumeInformationW', root]), volume ? { flags: volume.flags, fileSystem: volume.fileSystem } : null),
    driveType: (root) => (calls.push(['GetDriveTypeW', root]), volume?.remote ? 4 : 3),
    setThreadExecutionState: () => 0,
    lastError: () => lastError,
  };
  return { native, calls, openHandles: () => open.size };
}

/** Little-endian int64 pairs, as the FSCTL structures lay them out. */
function pairs(...values: number[]): number[] {
  const b = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => b.writeBigInt64LE(BigInt(v), i * 8));
  return [...b];
}

describe('the Windows port over what kernel32 answers', () => {
  it.each([
    [{ root: 'C:\\', fileSystem: 'NTFS', flags: FILE_SUPPORTS_OTHERS | FILE_SUPPORTS_SPARSE_FILES }, { fileSystem: 'NTFS', sparse: true, network: false }],
    [{ root: 'C:\\', fileSystem: 'ReFS', flags: FILE_SUPPORTS_SPARSE_FILES }, { fileSystem: 'ReFS', sparse: true, network: false }],
    [{ root: 'E:\\', fileSystem: 'exFAT', flags: FILE_SUPPORTS_OTHERS }, { fileSystem: 'exFAT', sparse: false, network: false }],
    [{ root: 'F:\\', fileSystem: 'FAT32', flags: 0x6 }, { fileSystem: 'FAT32', sparse: false, network: false }],
    [{ root: 'Z:\\', fileSystem: 'NTFS', flags: FILE_SUPPORTS_SPARSE_FILES, remote: true }, { fileSystem: 'SMB share (NTFS)', sparse: true, network: true }],
    [{ root: '\\\\nas\\images\\', fileSystem: 'NTFS', flags: FILE_SUPPORTS_OTHERS }, { fileSystem: 'SMB share (NTFS)', sparse: false, network: true }],
    [{ root: '\\\\?\\UNC\\nas\\images\\', fileSystem: 'ReFS', flags: FILE_SUPPORTS_SPARSE_FILES }, { fileSystem: 'SMB share (ReFS)', sparse: true, network: true }],
    [{ root: '\\\\?\\Volume{0b6e2c1d-0000-0000-0000-100000000000}\\', fileSystem: 'NTFS', flags: FILE_SUPPORTS_SPARSE_FILES }, { fileSystem: 'NTFS', sparse: true, network: false }],
  ])('the volume of %o is %o', async (volume, expected) => {
    const { native, calls } = fakeKernel32(volume);
    expect(await win32SparseFiles(() => native).volume('downloads')).toEqual(expected);
    expect(calls[0]?.[0]).toBe('GetVolumePathNameW');
    expect(calls[1]).toEqual(['GetVolumeInformationW', volume.root]);
  });

  it('takes a volume it cannot ask about for an unknown one', async () => {
    const { native } = fakeKernel32(null);
    expect(await win32SparseFiles(() => native).volume('X:\\gone')).toEqual({ fileSystem: null, sparse: true, network: false });
    expect(await win32SparseFiles(() => null).volume('C:\\')).toEqual({ fileSystem: null, sparse: true, network: false });
  });

  it('marks a file sparse with FSCTL_SET_SPARSE on a handle of its own, shared as Node shares, and closes it', () => {
    const { native, calls, openHandles } = fakeKernel32(null);
    expect(win32SparseFiles(() => native).markSparse({ path: 'disk.raw.part', fd: 3 })).toBe(true);
    expect(calls[0]!.slice(0, 5)).toEqual(['CreateFileW', expect.stringMatching(/disk\.raw\.part$/), (GENERIC_READ | GENERIC_WRITE) >>> 0, FILE_SHARE_ALL, OPEN_EXISTING]);
    expect(calls[1]).toEqual(['DeviceIoControl', 101, FSCTL_SET_SPARSE, null, 0]);
    expect(calls[2]).toEqual(['CloseHandle', 101]);
    expect(openHandles()).toBe(0);
  });

  it('answers false on FAT (ERROR_INVALID_FUNCTION) and when the file cannot be opened', () => {
    const fat = fakeKernel32(null, () => ({ ok: false, bytes: 0, error: ERROR_INVALID_FUNCTION }));
    expect(win32SparseFiles(() => fat.native).markSparse({ path: 'a.part', fd: 3 })).toBe(false);
    expect(win32SparseFiles(() => fat.native).punchHole({ path: 'a.part', fd: 3 }, 0, MiB)).toBe(false);
    expect(win32SparseFiles(() => fat.native).dataRanges({ path: 'a.part', fd: 3 }, MiB)).toBeNull();
    expect(fat.openHandles()).toBe(0);
    const locked = fakeKernel32(null, undefined, true);
    expect(win32SparseFiles(() => locked.native).markSparse({ path: 'a.part', fd: 3 })).toBe(false);
    expect(locked.calls.map((c) => c[0])).toEqual(['CreateFileW']);
  });

  it('punches with FSCTL_SET_ZERO_DATA { FileOffset, BeyondFinalZero }', () => {
    const { native, calls } = fakeKernel32(null);
    expect(win32SparseFiles(() => native).punchHole({ path: 'a.part', fd: 3 }, 3 * MiB, 65536)).toBe(true);
    expect(calls[1]).toEqual(['DeviceIoControl', 101, FSCTL_SET_ZERO_DATA, pairs(3 * MiB, 3 * MiB + 65536), 0]);
  });

  it('reads the data map with FSCTL_QUERY_ALLOCATED_RANGES, page after page on ERROR_MORE_DATA', () => {
    // 600 ranges of 64 KiB every 1 MiB: more than one page of 512 entries.
    const ranges = Array.from({ length: 600 }, (_, i) => ({ start: i * MiB, end: i * MiB + 65536 }));
    const { native, calls, openHandles } = fakeKernel32(null, (code, input, output) => {
      expect(code).toBe(FSCTL_QUERY_ALLOCATED_RANGES);
      const from = Number(input!.readBigInt64LE(0));
      const left = ranges.filter((r) => r.end > from);
      const fit = Math.min(left.length, output!.length / 16);
      left.slice(0, fit).forEach((r, i) => {
        output!.writeBigInt64LE(BigInt(r.start), i * 16);
        output!.writeBigInt64LE(BigInt(r.end - r.start), i * 16 + 8);
      });
      return fit < left.length ? { ok: false, bytes: fit * 16, error: ERROR_MORE_DATA } : { ok: true, bytes: fit * 16 };
    });
    expect(win32SparseFiles(() => native).dataRanges({ path: 'img.raw', fd: 3 }, 600 * MiB)).toEqual(ranges);
    const ioctls = calls.filter((c) => c[0] === 'DeviceIoControl');
    expect(ioctls).toHaveLength(2);
    expect(ioctls[0]![3]).toEqual(pairs(0, 600 * MiB));
    expect(ioctls[1]![3]).toEqual(pairs(511 * MiB + 65536, 600 * MiB - (511 * MiB + 65536)));
    expect(calls[0]!.slice(0, 3)).toEqual(['CreateFileW', expect.any(String), GENERIC_READ]);
    expect(openHandles()).toBe(0);
  });

  it('maps a file with no data to no ranges', () => {
    const { native } = fakeKernel32(null, () => ({ ok: true, bytes: 0 }));
    expect(win32SparseFiles(() => native).dataRanges({ path: 'empty.raw', fd: 3 }, 100 * 1024 * MiB)).toEqual([]);
  });
});
