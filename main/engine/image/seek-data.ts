import { createRequire } from 'node:module';
import type { ByteRange } from '../../../shared/range-set.js';

/** lseek(2) whence values for SEEK_DATA / SEEK_HOLE; they differ between Linux and macOS. */
const WHENCE: Partial<Record<NodeJS.Platform, { data: number; hole: number; libc: string }>> = {
  linux: { data: 3, hole: 4, libc: 'libc.so.6' },
  darwin: { data: 4, hole: 3, libc: 'libSystem.B.dylib' },
  freebsd: { data: 3, hole: 4, libc: 'libc.so.7' },
};

type Lseek = (fd: number, offset: number | bigint, whence: number) => number | bigint;

let cached: { lseek: Lseek; data: number; hole: number } | null | undefined;

/** Loads lseek through koffi (an FFI shipped with prebuilt binaries); null where the OS has no SEEK_DATA. */
function loadLseek(): { lseek: Lseek; data: number; hole: number } | null {
  if (cached !== undefined) return cached;
  cached = null;
  const spec = WHENCE[process.platform];
  if (!spec) return null;
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as { load(name: string): { func(sig: string): Lseek } };
    const lseek = koffi.load(spec.libc).func('int64_t lseek(int fd, int64_t offset, int whence)');
    cached = { lseek, data: spec.data, hole: spec.hole };
  } catch {
    cached = null;
  }
  return cached;
}

/**
 * Asks the file system where the data of a file is (SEEK_DATA / SEEK_HOLE), so an empty 100 GiB
 * sparse image is planned without reading it. Returns null when the OS or file system cannot tell
 * (Windows, or a file system without the support): callers then scan for zeros.
 * The ranges are a superset of the non-zero bytes: allocated blocks may still hold zeros.
 */
export function allocatedRanges(fd: number, size: number): ByteRange[] | null {
  const api = loadLseek();
  if (!api) return null;
  const out: ByteRange[] = [];
  let pos = 0;
  try {
    while (pos < size) {
      const dataAt = Number(api.lseek(fd, pos, api.data));
      if (dataAt < 0) break; // ENXIO: no data after pos
      const holeAt = Number(api.lseek(fd, dataAt, api.hole));
      const end = holeAt < 0 ? size : Math.min(holeAt, size);
      if (end <= dataAt) break;
      out.push({ start: dataAt, end });
      pos = end;
    }
  } catch {
    return null;
  }
  // A file system without SEEK_DATA support reports the whole file as one data range; that is still
  // correct (a superset), and the zero scan over it finds the zeros.
  return out;
}
