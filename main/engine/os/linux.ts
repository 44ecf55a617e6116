/**
 * The Linux sparse-file port: file systems by statfs f_type, holes by fallocate(PUNCH_HOLE), the data
 * map by lseek SEEK_DATA / SEEK_HOLE.
 */
import { statfs } from 'node:fs/promises';
import type { ByteRange } from '../../../shared/range-set.js';
import { lazyNative, requireKoffi } from './koffi.js';
import { UNKNOWN_VOLUME, type OpenFile, type SparseFiles, type VolumeInfo } from './sparse-files.js';

/** The native calls the Linux port makes (libc through koffi; statfs is Node's). */
export interface LinuxNative {
  statfs(dir: string): Promise<{ readonly type: number }>;
  fallocate(fd: number, mode: number, offset: number, length: number): number;
  lseek(fd: number, offset: number, whence: number): number | bigint;
  /** Returns 0 or the error number itself (not through errno). */
  posix_fadvise(fd: number, offset: number, length: number, advice: number): number;
  errno(): number;
}

const FALLOC_FL_KEEP_SIZE = 0x01;
const FALLOC_FL_PUNCH_HOLE = 0x02;
const SEEK_DATA = 3;
const SEEK_HOLE = 4;
const ENXIO = 6;
const POSIX_FADV_DONTNEED = 4;

/** statfs f_type magic numbers (linux/magic.h) of the file systems whose sparse support we know. */
const FILE_SYSTEMS: ReadonlyMap<number, VolumeInfo> = new Map([
  [0x4d44, { fileSystem: 'FAT', sparse: false, network: false }], // vfat and msdos
  [0x2011bab0, { fileSystem: 'exFAT', sparse: false, network: false }],
  [0x4244, { fileSystem: 'HFS', sparse: false, network: false }],
  [0x482b, { fileSystem: 'HFS+', sparse: false, network: false }],
  [0xff534d42, { fileSystem: 'SMB share', sparse: false, network: true }], // cifs
  [0xfe534d42, { fileSystem: 'SMB share', sparse: false, network: true }], // smb2 / smb3
  [0x517b, { fileSystem: 'SMB share', sparse: false, network: true }],
  [0x6969, { fileSystem: 'NFS', sparse: true, network: true }],
  [0xef53, { fileSystem: 'ext4', sparse: true, network: false }], // ext2, ext3 and ext4 share it
  [0x58465342, { fileSystem: 'XFS', sparse: true, network: false }],
  [0x9123683e, { fileSystem: 'Btrfs', sparse: true, network: false }],
  [0x01021994, { fileSystem: 'tmpfs', sparse: true, network: false }],
  [0x794c7630, { fileSystem: 'overlay', sparse: true, network: false }],
  [0x2fc12fc1, { fileSystem: 'ZFS', sparse: true, network: false }],
  [0x5346544e, { fileSystem: 'NTFS', sparse: true, network: false }], // the kernel's ntfs3
  [0xf2f52010, { fileSystem: 'F2FS', sparse: true, network: false }],
]);

/** The Linux port over a native layer (the real one by default). */
export function linuxSparseFiles(native: () => LinuxNative | null = loadLinuxNative): SparseFiles {
  return {
    async volume(dir) {
      const n = native();
      if (!n) return UNKNOWN_VOLUME;
      const s = await n.statfs(dir).catch(() => null);
      return (s && FILE_SYSTEMS.get(s.type >>> 0)) ?? UNKNOWN_VOLUME;
    },
    // Every Linux file system that has holes makes them without being asked.
    markSparse: () => true,
    punchHole(file, offset, length) {
      const n = native();
      if (!n || length <= 0) return n !== null;
      // EOPNOTSUPP on FAT, exFAT and older file systems: the caller writes the zeros.
      return n.fallocate(file.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) === 0;
    },
    dataRanges(file, size) {
      const n = native();
      return n ? seekDataRanges(n, file, size, { data: SEEK_DATA, hole: SEEK_HOLE, enxio: ENXIO }) : null;
    },
    dropCached(file, offset, length) {
      const n = native();
      return n !== null && n.posix_fadvise(file.fd, offset, length, POSIX_FADV_DONTNEED) === 0;
    },
  };
}

/**
 * Walks a file with lseek SEEK_DATA / SEEK_HOLE (whence values differ between Linux and macOS).
 * ENXIO from SEEK_DATA means no data after the offset; any other error means the file system cannot
 * tell, and the answer is null. A file system without the support reports the whole file as data,
 * which is still right (a superset).
 */
export function seekDataRanges(n: Pick<LinuxNative, 'lseek' | 'errno'>, file: OpenFile, size: number, c: { data: number; hole: number; enxio: number }): ByteRange[] | null {
  const out: ByteRange[] = [];
  let pos = 0;
  while (pos < size) {
    const dataAt = Number(n.lseek(file.fd, pos, c.data));
    if (dataAt < 0) {
      if (n.errno() === c.enxio) break;
      return null;
    }
    if (dataAt >= size) break;
    const holeAt = Number(n.lseek(file.fd, dataAt, c.hole));
    if (holeAt < 0) return null;
    const end = Math.min(holeAt, size);
    if (end <= dataAt) return null; // a file system answering nonsense: scan instead
    out.push({ start: dataAt, end });
    pos = end;
  }
  return out;
}

/**
 * FreeBSD: only the data map (SEEK_DATA = 3 / SEEK_HOLE = 4, as on Linux), which DiskFerry asked for
 * there before the ports; its file systems are not told apart, nor are holes punched.
 */
export function freebsdSparseFiles(native: () => Pick<LinuxNative, 'lseek' | 'errno'> | null = loadFreebsdNative): SparseFiles {
  return {
    volume: async () => UNKNOWN_VOLUME,
    markSparse: () => true,
    punchHole: () => false,
    dataRanges(file, size) {
      const n = native();
      return n ? seekDataRanges(n, file, size, { data: SEEK_DATA, hole: SEEK_HOLE, enxio: ENXIO }) : null;
    },
    dropCached: () => false,
  };
}

const loadFreebsdNative = lazyNative((): Pick<LinuxNative, 'lseek' | 'errno'> => {
  const koffi = requireKoffi();
  return { lseek: koffi.load('libc.so.7').func(LIBC.lseek) as LinuxNative['lseek'], errno: () => koffi.errno() };
});

/** The libc functions as koffi declares them. */
export const LIBC = {
  fallocate: 'int fallocate(int fd, int mode, int64_t offset, int64_t len)',
  lseek: 'int64_t lseek(int fd, int64_t offset, int whence)',
  posix_fadvise: 'int posix_fadvise(int fd, int64_t offset, int64_t len, int advice)',
} as const;

/** glibc through koffi (elsewhere, e.g. musl, loading fails and the port does without). */
const loadLinuxNative = lazyNative((): LinuxNative => {
  const koffi = requireKoffi();
  const libc = koffi.load('libc.so.6');
  const fallocate = libc.func(LIBC.fallocate) as LinuxNative['fallocate'];
  const lseek = libc.func(LIBC.lseek) as LinuxNative['lseek'];
  const fadvise = libc.func(LIBC.posix_fadvise) as LinuxNative['posix_fadvise'];
  return {
    statfs: (dir) => statfs(dir).then((s) => ({ type: Number(s.type) })),
    fallocate,
    lseek,
    posix_fadvise: fadvise,
    errno: () => koffi.errno(),
  };
});
