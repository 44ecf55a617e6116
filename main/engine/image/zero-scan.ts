import type { FileHandle } from 'node:fs/promises';
import type { ByteRange } from '../../../shared/range-set.js';

/** Zero detection granularity: runs of zeros shorter than this are sent as data. */
export const ZERO_BLOCK = 64 * 1024;
const SCAN_CHUNK = 8 * 1024 * 1024;

/** True when every byte of the buffer is zero (compares 8 bytes at a time). */
export function isZero(buf: Uint8Array): boolean {
  const words = Math.floor(buf.length / 8);
  if (buf.byteOffset % 8 === 0 && words > 0) {
    const view = new BigUint64Array(buf.buffer, buf.byteOffset, words);
    for (let i = 0; i < words; i++) if (view[i] !== 0n) return false;
  } else {
    for (let i = 0; i < words * 8; i++) if (buf[i] !== 0) return false;
  }
  for (let i = words * 8; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

const ZERO_64K = Buffer.alloc(ZERO_BLOCK);

function blockIsZero(buf: Buffer, start: number, end: number): boolean {
  const len = end - start;
  return len === ZERO_BLOCK ? ZERO_64K.equals(buf.subarray(start, end)) : isZero(buf.subarray(start, end));
}

/**
 * Splits the given ranges of a file into data ranges by reading them and dropping 64 KiB blocks of
 * zeros. Reads with one reused buffer; memcmp-speed zero checks.
 */
export async function scanDataRanges(
  fh: FileHandle,
  ranges: readonly ByteRange[],
  options: { signal?: AbortSignal; onProgress?: (bytes: number) => void } = {},
): Promise<ByteRange[]> {
  const out: ByteRange[] = [];
  const buf = Buffer.allocUnsafe(SCAN_CHUNK);
  const push = (start: number, end: number) => {
    const last = out[out.length - 1];
    if (last && last.end === start) out[out.length - 1] = { start: last.start, end };
    else out.push({ start, end });
  };
  for (const r of ranges) {
    for (let pos = r.start; pos < r.end; pos += SCAN_CHUNK) {
      options.signal?.throwIfAborted();
      const len = Math.min(SCAN_CHUNK, r.end - pos);
      let got = 0;
      while (got < len) {
        const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      // Blocks are aligned to absolute offsets so results do not depend on where a range starts.
      let b = pos;
      while (b < pos + got) {
        const blockEnd = Math.min(pos + got, (Math.floor(b / ZERO_BLOCK) + 1) * ZERO_BLOCK);
        if (!blockIsZero(buf, b - pos, blockEnd - pos)) push(b, blockEnd);
        b = blockEnd;
      }
      options.onProgress?.(got);
    }
  }
  return out;
}
