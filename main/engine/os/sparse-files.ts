/**
 * The sparse-file port: what a download's `.part` file and an upload's data map ask of the
 * operating system. One implementation per OS (`linux.ts`, `darwin.ts`, `win32.ts`), each a small
 * piece of logic over a thin native layer (koffi-bound C functions, loaded on first use), chosen by
 * `sparseFilesFor(process.platform)` in `index.ts`. The logic is tested here with a recording fake
 * of the native layer fed what each OS answers; only the Linux port runs for real on Linux.
 */
import type { ByteRange } from '../../../shared/range-set.js';
import { formatBytes } from '../../../shared/format.js';

/** An open file as the ports need it: the descriptor (POSIX calls) and the path (Windows opens its own handle). */
export interface OpenFile {
  readonly path: string;
  readonly fd: number;
}

/** What the file system of a folder can do with sparse files. */
export interface VolumeInfo {
  /** Its name as the user knows it ("ext4", "APFS", "exFAT", "NTFS", "SMB share"); null when unknown. */
  readonly fileSystem: string | null;
  /**
   * false where a file occupies its whole size however little data it holds (FAT, exFAT, HFS+), or
   * where that cannot be relied on (SMB shares): a download there counts its whole virtual size.
   * true also when the file system is unknown: that is how DiskFerry behaved before it asked.
   */
  readonly sparse: boolean;
  /** A network file system: "may not keep holes" rather than "cannot hold sparse files". */
  readonly network: boolean;
}

/** An unknown file system: assumed to hold sparse files. */
export const UNKNOWN_VOLUME: VolumeInfo = { fileSystem: null, sparse: true, network: false };

/** The sparse-file port. */
export interface SparseFiles {
  /** What the file system holding `dir` can do; never throws (an unknown one is UNKNOWN_VOLUME). */
  volume(dir: string): Promise<VolumeInfo>;
  /**
   * Marks a file sparse where the OS needs to be told (NTFS: FSCTL_SET_SPARSE; elsewhere every file
   * may have holes). Call it on a new `.part` before it is extended. Returns whether the file is
   * sparse now; false is not an error (FAT), the file is then written whole.
   */
  markSparse(file: OpenFile): boolean;
  /**
   * Frees [offset, offset + length) so it reads as zeros (Linux fallocate PUNCH_HOLE, macOS
   * F_PUNCHHOLE, Windows FSCTL_SET_ZERO_DATA). Returns false when the file system cannot: the
   * caller writes the zeros itself.
   */
  punchHole(file: OpenFile, offset: number, length: number): boolean;
  /**
   * Where the data of a file is (a superset of its non-zero bytes), without reading it: SEEK_DATA /
   * SEEK_HOLE, or FSCTL_QUERY_ALLOCATED_RANGES. null when the OS or file system cannot tell: the
   * caller scans the whole file.
   */
  dataRanges(file: OpenFile, size: number): ByteRange[] | null;
  /**
   * Tells the OS that the bytes of [offset, offset + length) (length 0: to the end of the file),
   * already synced, will not be read again, so it can drop them from its page cache (Linux
   * posix_fadvise DONTNEED; dirty pages stay). A download calls it after each sync: without it a
   * 16 GiB download grew the page cache by 16 GiB, and faulting that memory in cost more CPU than
   * the transfer itself (docs/benchmarks.md). Returns false where the OS has no such call.
   */
  dropCached(file: OpenFile, offset: number, length: number): boolean;
}

/** A port for an OS without any of this: no holes punched, no map, volumes unknown. */
export const noSparseFiles: SparseFiles = {
  volume: async () => UNKNOWN_VOLUME,
  markSparse: () => false,
  punchHole: () => false,
  dataRanges: () => null,
  dropCached: () => false,
};

/**
 * The sentence the plan and the CLI show for a destination that cannot hold sparse files, or null
 * where it can: "The destination's file system (exFAT) cannot hold sparse files: the whole 500 GiB
 * will be written."
 */
export function notSparseNote(volume: VolumeInfo, bytes: number): string | null {
  if (volume.sparse) return null;
  const fs = volume.fileSystem ?? 'unknown';
  return volume.network
    ? `The destination (${fs}) may not keep the holes of sparse files: room for the whole ${formatBytes(bytes)} is needed.`
    : `The destination's file system (${fs}) cannot hold sparse files: the whole ${formatBytes(bytes)} will be written.`;
}
