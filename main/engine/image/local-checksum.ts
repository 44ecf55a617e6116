/**
 * The blkhash of a local image's guest data, computed the way an ovirt-imageio server computes
 * `GET /images/{ticket}/checksum` (reference/imageio.md §6.2, §6.3): the same digest a raw-format
 * transfer of this image reports, so a file can be checked against a disk at any later time.
 */
import { DiskFerryError } from '../errors.js';
import { BlkhashAccumulator } from './blkhash-accumulator.js';
import { BLKHASH_DEFAULT_ALGORITHM, BLKHASH_DEFAULT_BLOCK_SIZE, type BlkhashAlgorithm } from './blkhash.js';
import { openLocalSource } from './local-source.js';
import { probeImage, type LocalImageFormat } from './probe.js';

/** The smallest and largest block sizes imageio accepts; it also wants a multiple of 4096. */
const BLKHASH_MIN_BLOCK_SIZE = 1024 * 1024;
const BLKHASH_MAX_BLOCK_SIZE = 16 * 1024 * 1024;

/** A local checksum, in the shape of imageio's answer plus what was hashed. */
export interface LocalChecksum {
  readonly algorithm: BlkhashAlgorithm;
  readonly blockSize: number;
  readonly checksum: string;
  /** The file's format; a qcow2 is hashed as its guest data. */
  readonly format: LocalImageFormat;
  /** Guest bytes covered. */
  readonly size: number;
  /** Bytes read from the file (data extents only; holes and zero extents are never read). */
  readonly bytesRead: number;
}

/** Whether a block size is one imageio accepts (an integer in [1 MiB, 16 MiB], a multiple of 4096). */
export function isBlkhashBlockSize(n: number): boolean {
  return Number.isInteger(n) && n >= BLKHASH_MIN_BLOCK_SIZE && n <= BLKHASH_MAX_BLOCK_SIZE && n % 4096 === 0;
}

/**
 * Computes the blkhash of the guest data of the image at `path`. Only data extents are read, one
 * piece while the one before is hashed; zero extents take the precomputed zero digest. Throws
 * image-changed when the file is modified meanwhile, and the probe's own errors for a file that is
 * not an image.
 */
export async function localChecksum(
  path: string,
  options: {
    algorithm?: BlkhashAlgorithm;
    blockSize?: number;
    signal?: AbortSignal;
    /** Guest bytes accounted for so far (zero extents count at once), and the total. */
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<LocalChecksum> {
  const algorithm = options.algorithm ?? BLKHASH_DEFAULT_ALGORITHM;
  const blockSize = options.blockSize ?? BLKHASH_DEFAULT_BLOCK_SIZE;
  if (!isBlkhashBlockSize(blockSize)) throw new RangeError(`block size ${blockSize} is not one imageio accepts`);
  const probe = await probeImage(path);
  const source = await openLocalSource(probe);
  try {
    const acc = await BlkhashAccumulator.create(source.size, { algorithm, blockSize });
    const extents = await source.extents(options.signal ? { signal: options.signal } : {});
    let done = 0;
    let bytesRead = 0;
    for (const e of extents) {
      if (!e.zero) continue;
      acc.zero(e.start, e.length);
      done += e.length;
    }
    options.onProgress?.(done, source.size);
    // Two buffers: the next piece is read (on the thread pool) while this one is hashed.
    const bufs = [Buffer.allocUnsafe(blockSize), Buffer.allocUnsafe(blockSize)] as const;
    const pieces = extents.filter((e) => !e.zero).flatMap((e) => splitRange(e.start, e.length, blockSize));
    const readPiece = async (i: number): Promise<Buffer> => {
      const p = pieces[i]!;
      const buf = bufs[i & 1]!.subarray(0, p.length);
      for (let got = 0; got < p.length; ) {
        const n = await source.read(p.start + got, buf.subarray(got));
        if (n <= 0)
          throw new DiskFerryError('image-changed', `${path} ended at byte ${p.start + got}, before its size of ${source.size} bytes. Did the file change? Stop whatever writes to it, then try again.`, {
            retryable: false,
          });
        got += n;
      }
      return buf;
    };
    let next: Promise<Buffer> | null = pieces.length > 0 ? readPiece(0) : null;
    for (let i = 0; next; i++) {
      const buf = await next;
      options.signal?.throwIfAborted();
      next = i + 1 < pieces.length ? readPiece(i + 1) : null;
      next?.catch(() => {}); // awaited on the next turn; an abort in between must not leave it unhandled
      acc.add(pieces[i]!.start, buf);
      bytesRead += buf.length;
      done += buf.length;
      options.onProgress?.(done, source.size);
    }
    await source.checkUnchanged();
    return { algorithm, blockSize, checksum: await acc.digest(), format: probe.format, size: source.size, bytesRead };
  } finally {
    await source.close();
  }
}

/**
 * [start, start + length) cut into pieces of at most `max` bytes that end on multiples of `max`, so
 * each piece is one block (or its part) and whole blocks are hashed straight from the read buffer
 * (planRanges' pieces start at the extent, so most would straddle two blocks and be copied).
 */
function splitRange(start: number, length: number, max: number): Array<{ start: number; length: number }> {
  const out: Array<{ start: number; length: number }> = [];
  for (let pos = start, end = start + length; pos < end; ) {
    const n = Math.min(end, (Math.floor(pos / max) + 1) * max) - pos;
    out.push({ start: pos, length: n });
    pos += n;
  }
  return out;
}
