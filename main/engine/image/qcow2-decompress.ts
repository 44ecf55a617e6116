/**
 * Decompression of qcow2 compressed clusters. qemu packs compressed clusters byte by byte, so the
 * bytes the L2 entry spans (whole 512-byte sectors) usually run into the next cluster's data: both
 * decoders must stop at the end of their own stream and yield exactly one cluster.
 */
import { constants, inflateRaw } from 'node:zlib';
import { promisify } from 'node:util';
import { decompress as zstdDecompress } from 'fzstd';
import { errorMessage } from '../errors.js';

const inflateRawAsync = promisify(inflateRaw);
const ZSTD_MAGIC = 0xfd2fb528;
/** Larger zstd windows than this are not from qemu (which compresses one cluster of at most 2 MiB). */
const MAX_ZSTD_WINDOW = 8 * 1024 * 1024;

/** Decompresses one cluster; throws a plain Error saying what is wrong with the stream. */
export async function decompressCluster(kind: 'deflate' | 'zstd', input: Buffer, clusterSize: number): Promise<Buffer> {
  let out: Buffer;
  if (kind === 'deflate') {
    // Raw deflate as qemu writes it (window bits 12); data after the end of the stream is ignored.
    // A sync flush lets a stream cut short yield what it has, so the length check below names the problem.
    out = await inflateRawAsync(input, { maxOutputLength: clusterSize, finishFlush: constants.Z_SYNC_FLUSH }).catch((err: unknown) => {
      throw new Error(`deflate: ${errorMessage(err)}`);
    });
  } else {
    const frame = input.subarray(0, zstdFrameLength(input));
    try {
      const bytes = zstdDecompress(frame);
      out = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    } catch (err) {
      throw new Error(`zstd: ${errorMessage(err)}`);
    }
  }
  if (out.length !== clusterSize) throw new Error(`the compressed cluster holds ${out.length} bytes, not ${clusterSize}`);
  return out;
}

/**
 * Length of the zstd frame at the start of `input` (RFC 8878 §3.1.1), found by walking its block
 * headers, so the bytes of the next cluster are never taken for a second frame. Also refuses windows
 * larger than qemu ever writes, before the decoder allocates one.
 */
function zstdFrameLength(input: Buffer): number {
  if (input.length < 6 || input.readUInt32LE(0) !== ZSTD_MAGIC) throw new Error('zstd: no frame magic');
  const descriptor = input[4]!;
  if ((descriptor & 0x08) !== 0) throw new Error('zstd: reserved bit set in the frame header');
  const singleSegment = (descriptor & 0x20) !== 0;
  const checksum = (descriptor & 0x04) !== 0;
  const dictBytes = [0, 1, 2, 4][descriptor & 3]!;
  const fcsFlag = descriptor >> 6;
  const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
  let pos = 5;
  if (!singleSegment) {
    const w = input[pos]!;
    const base = 2 ** (10 + (w >> 3));
    if (base + (base / 8) * (w & 7) > MAX_ZSTD_WINDOW) throw new Error('zstd: window larger than a qcow2 cluster needs');
    pos++;
  }
  if (dictBytes > 0) throw new Error('zstd: the frame needs a dictionary');
  if (singleSegment && fcsBytes > 0 && pos + fcsBytes <= input.length) {
    let size = 0;
    for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + input[pos + i]!;
    if (fcsBytes === 2) size += 256;
    if (size > MAX_ZSTD_WINDOW) throw new Error('zstd: content larger than a qcow2 cluster');
  }
  pos += fcsBytes;
  for (;;) {
    if (pos + 3 > input.length) throw new Error('zstd: the frame is cut short');
    const header = input[pos]! | (input[pos + 1]! << 8) | (input[pos + 2]! << 16);
    const last = (header & 1) === 1;
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (type === 3) throw new Error('zstd: reserved block type');
    pos += 3 + (type === 1 ? 1 : size);
    if (pos > input.length) throw new Error('zstd: the frame is cut short');
    if (last) break;
  }
  if (checksum) pos += 4;
  if (pos > input.length) throw new Error('zstd: the frame is cut short');
  return pos;
}
