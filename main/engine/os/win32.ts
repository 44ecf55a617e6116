/**
 * The Windows sparse-file port: NTFS and ReFS hold sparse files once a file is marked
 * (FSCTL_SET_SPARSE), holes are punched with FSCTL_SET_ZERO_DATA, the data map comes from
 * FSCTL_QUERY_ALLOCATED_RANGES, and GetVolumeInformation says whether a volume can
 * (FILE_SUPPORTS_SPARSE_FILES: FAT and exFAT cannot). Each call opens its own handle on the path
 * (Node's descriptor is not a HANDLE), sharing read, write and delete as Node does.
 */
import { resolve, toNamespacedPath } from 'node:path';
import type { ByteRange } from '../../../shared/range-set.js';
import { UNKNOWN_VOLUME, type OpenFile, type SparseFiles } from './sparse-files.js';
import {
  DRIVE_REMOTE,
  ERROR_MORE_DATA,
  FILE_ATTRIBUTE_NORMAL,
  FILE_SHARE_ALL,
  FILE_SUPPORTS_SPARSE_FILES,
  FSCTL_QUERY_ALLOCATED_RANGES,
  FSCTL_SET_SPARSE,
  FSCTL_SET_ZERO_DATA,
  GENERIC_READ,
  GENERIC_WRITE,
  INVALID_HANDLE_VALUE,
  loadWin32Native,
  OPEN_EXISTING,
  type Handle,
  type Win32Native,
} from './win32-native.js';

/** Ranges asked for per FSCTL_QUERY_ALLOCATED_RANGES call (16 bytes each); ERROR_MORE_DATA asks again. */
const RANGES_PER_CALL = 512;

/** The Windows port over a native layer (the real one by default). */
export function win32SparseFiles(native: () => Win32Native | null = loadWin32Native): SparseFiles {
  /** Runs `fn` with a handle on the file; null when it cannot be opened. */
  const withHandle = <T>(n: Win32Native, file: OpenFile, write: boolean, fn: (h: Handle) => T): T | null => {
    const access = write ? (GENERIC_READ | GENERIC_WRITE) >>> 0 : GENERIC_READ;
    const h = n.createFile(toNamespacedPath(resolve(file.path)), access, FILE_SHARE_ALL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL);
    if (Number(h) === INVALID_HANDLE_VALUE) return null;
    try {
      return fn(h);
    } finally {
      n.closeHandle(h);
    }
  };
  return {
    async volume(dir) {
      const n = native();
      // A plain path: the root then reads C:\ or \\server\share\, as GetVolumeInformationW takes it.
      const root = n?.volumePathName(resolve(dir));
      const info = n && root ? n.volumeInformation(root) : null;
      if (!n || !root || !info) return UNKNOWN_VOLUME;
      const network = isUncRoot(root) || n.driveType(root) === DRIVE_REMOTE;
      const name = info.fileSystem || null;
      return { fileSystem: network ? `SMB share${name ? ` (${name})` : ''}` : name, sparse: (info.flags & FILE_SUPPORTS_SPARSE_FILES) !== 0, network };
    },
    markSparse(file) {
      const n = native();
      // No input buffer means SetSparse = TRUE. ERROR_INVALID_FUNCTION on FAT and exFAT.
      return (n && withHandle(n, file, true, (h) => n.deviceIoControl(h, FSCTL_SET_SPARSE, null, null).ok)) ?? false;
    },
    punchHole(file, offset, length) {
      const n = native();
      if (!n || length <= 0) return false;
      const input = Buffer.alloc(16); // FILE_ZERO_DATA_INFORMATION { FileOffset, BeyondFinalZero }
      input.writeBigInt64LE(BigInt(offset), 0);
      input.writeBigInt64LE(BigInt(offset + length), 8);
      // On a sparse file the range is deallocated; on one that is not, NTFS writes the zeros itself.
      return withHandle(n, file, true, (h) => n.deviceIoControl(h, FSCTL_SET_ZERO_DATA, input, null).ok) ?? false;
    },
    dataRanges(file, size) {
      const n = native();
      return n ? withHandle(n, file, false, (h) => allocatedRanges(n, h, size)) : null;
    },
    // The cache manager trims a file's cache by itself; there is no per-range advice to give.
    dropCached: () => false,
  };
}

/** \\server\share\ or \\?\UNC\server\share\: a network share (a mapped drive letter is asked of GetDriveTypeW). */
function isUncRoot(root: string): boolean {
  return /^\\\\\?\\UNC\\/i.test(root) || (root.startsWith('\\\\') && !/^\\\\[?.]\\/.test(root));
}

/** FSCTL_QUERY_ALLOCATED_RANGES over [0, size), asking again from the last range on ERROR_MORE_DATA. */
function allocatedRanges(n: Win32Native, h: Handle, size: number): ByteRange[] | null {
  const out: ByteRange[] = [];
  const output = Buffer.alloc(RANGES_PER_CALL * 16);
  let pos = 0;
  while (pos < size) {
    const input = Buffer.alloc(16); // FILE_ALLOCATED_RANGE_BUFFER { FileOffset, Length }
    input.writeBigInt64LE(BigInt(pos), 0);
    input.writeBigInt64LE(BigInt(size - pos), 8);
    const { ok, bytes } = n.deviceIoControl(h, FSCTL_QUERY_ALLOCATED_RANGES, input, output);
    const more = !ok && n.lastError() === ERROR_MORE_DATA;
    if (!ok && !more) return null; // ERROR_INVALID_FUNCTION on FAT: scan instead
    const count = Math.floor(bytes / 16);
    if (more && count === 0) return null;
    for (let i = 0; i < count; i++) {
      const start = Number(output.readBigInt64LE(i * 16));
      const end = Math.min(size, start + Number(output.readBigInt64LE(i * 16 + 8)));
      if (start < pos || end <= start) return null; // not what Windows answers: scan instead
      out.push({ start, end });
      pos = end;
    }
    if (!more) break;
  }
  return out;
}
