/**
 * The macOS sparse-file port: the file system by statfs f_fstypename (APFS holds sparse files, HFS+,
 * FAT and exFAT do not), holes by fcntl F_PUNCHHOLE, the data map by lseek SEEK_DATA / SEEK_HOLE,
 * whose whence values are the other way round from Linux's.
 */
import { lazyNative, requireKoffi } from './koffi.js';
import { seekDataRanges } from './linux.js';
import { UNKNOWN_VOLUME, type SparseFiles, type VolumeInfo } from './sparse-files.js';

/** The native calls the macOS port makes (libSystem through koffi), as C declares them. */
export interface DarwinNative {
  /** statfs(2) into `buf` (a struct statfs, 64-bit inodes); 0 or -1. */
  statfs(path: string, buf: Buffer): number;
  /** fcntl(2) with a pointer argument; -1 on error. */
  fcntl(fd: number, cmd: number, arg: Buffer): number;
  lseek(fd: number, offset: number, whence: number): number | bigint;
  errno(): number;
}

/** sizeof(struct statfs) with 64-bit inodes, and the offsets of the fields read. */
export const STATFS_SIZE = 2168;
export const STATFS_FLAGS_AT = 64;
export const STATFS_FSTYPENAME_AT = 72;
const MFSTYPENAMELEN = 16;
/** f_flags: the file system is local. */
export const MNT_LOCAL = 0x1000;
export const F_PUNCHHOLE = 99;
const SEEK_HOLE = 3;
const SEEK_DATA = 4;
const ENXIO = 6;
/** APFS allocation block: F_PUNCHHOLE takes whole blocks, so a ragged piece is written as zeros. */
const PUNCH_ALIGN = 4096;

const FILE_SYSTEMS: Readonly<Record<string, Omit<VolumeInfo, 'network'>>> = {
  apfs: { fileSystem: 'APFS', sparse: true },
  hfs: { fileSystem: 'HFS+', sparse: false },
  msdos: { fileSystem: 'FAT', sparse: false },
  exfat: { fileSystem: 'exFAT', sparse: false },
  smbfs: { fileSystem: 'SMB share', sparse: false },
  afpfs: { fileSystem: 'AFP share', sparse: false },
  webdav: { fileSystem: 'WebDAV share', sparse: false },
  nfs: { fileSystem: 'NFS', sparse: true },
  zfs: { fileSystem: 'ZFS', sparse: true },
};

/** The macOS port over a native layer (the real one by default). */
export function darwinSparseFiles(native: () => DarwinNative | null = loadDarwinNative): SparseFiles {
  return {
    async volume(dir) {
      const n = native();
      const buf = Buffer.alloc(STATFS_SIZE);
      if (!n || n.statfs(dir, buf) !== 0) return UNKNOWN_VOLUME;
      const raw = buf.subarray(STATFS_FSTYPENAME_AT, STATFS_FSTYPENAME_AT + MFSTYPENAMELEN);
      const name = raw.subarray(0, raw.indexOf(0) < 0 ? MFSTYPENAMELEN : raw.indexOf(0)).toString('utf8');
      const network = (buf.readUInt32LE(STATFS_FLAGS_AT) & MNT_LOCAL) === 0;
      const known = FILE_SYSTEMS[name];
      if (known) return { ...known, network };
      return name ? { fileSystem: name, sparse: true, network } : UNKNOWN_VOLUME;
    },
    // APFS makes holes without being asked.
    markSparse: () => true,
    punchHole(file, offset, length) {
      const n = native();
      if (!n || offset % PUNCH_ALIGN !== 0 || length % PUNCH_ALIGN !== 0 || length <= 0) return false;
      const arg = Buffer.alloc(24); // struct fpunchhole { u32 fp_flags; u32 reserved; off_t fp_offset; off_t fp_length; }
      arg.writeBigInt64LE(BigInt(offset), 8);
      arg.writeBigInt64LE(BigInt(length), 16);
      // ENOTSUP on HFS+ and FAT: the caller writes the zeros.
      return n.fcntl(file.fd, F_PUNCHHOLE, arg) !== -1;
    },
    dataRanges(file, size) {
      const n = native();
      return n ? seekDataRanges(n, file, size, { data: SEEK_DATA, hole: SEEK_HOLE, enxio: ENXIO }) : null;
    },
    // No posix_fadvise on macOS (F_NOCACHE would change every later write of the descriptor).
    dropCached: () => false,
  };
}

/** The libSystem functions as koffi declares them (checked by koffi's parser on every OS in the tests). */
export const LIBSYSTEM = {
  fcntl: 'int fcntl(int fd, int cmd, ...)',
  lseek: 'int64_t lseek(int fd, int64_t offset, int whence)',
  /** Bound by symbol: `statfs$INODE64` on Intel (64-bit inodes), plain `statfs` on Apple silicon. */
  statfs: { result: 'int', params: ['str', 'void *'] },
} as const;

/** libSystem through koffi (loading fails, and the port does without, on any other OS). */
const loadDarwinNative = lazyNative((): DarwinNative => {
  const koffi = requireKoffi();
  const libc = koffi.load('libSystem.B.dylib');
  const statfsName = process.arch === 'x64' ? 'statfs$INODE64' : 'statfs';
  const statfs = libc.func(statfsName, LIBSYSTEM.statfs.result, [...LIBSYSTEM.statfs.params]) as (path: string, buf: Buffer) => number;
  const fcntl = libc.func(LIBSYSTEM.fcntl) as (fd: number, cmd: number, type: string, arg: Buffer) => number;
  const lseek = libc.func(LIBSYSTEM.lseek) as DarwinNative['lseek'];
  return { statfs, fcntl: (fd, cmd, arg) => fcntl(fd, cmd, 'void *', arg), lseek, errno: () => koffi.errno() };
});
