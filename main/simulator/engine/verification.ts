/**
 * VerifyUntrustedVolume at upload finalize (reference/engine.md §4.5 item 3): the format qemu-img
 * would detect must match the disk, and a qcow2 must have no backing file.
 */
import { Qcow2Reader } from '../../engine/image/qcow2-reader.js';
import type { SimImage } from '../image-store.js';
import type { EngineContext } from './context.js';
import type { DiskRecord, TransferRecord } from './model.js';

const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);

/** What the first bytes of a volume say about it. */
export interface VolumeHeader {
  readonly qcow2: boolean;
  readonly version: number;
  readonly backingFileOffset: bigint;
}

/** Parses the start of a volume (at least 16 bytes). */
function readVolumeHeader(head: Buffer): VolumeHeader {
  const qcow2 = head.length >= 16 && head.subarray(0, 4).equals(QCOW2_MAGIC);
  return {
    qcow2,
    version: qcow2 ? head.readUInt32BE(4) : 0,
    backingFileOffset: qcow2 ? head.readBigUInt64BE(8) : 0n,
  };
}

/**
 * True when the uploaded volume passes verification. Through NBD a cow disk is written by qemu-nbd,
 * so only a raw disk holding qcow2 bytes can mismatch; through the FILE backend the bytes are the
 * volume itself and must match the disk format, and a qcow2 must open (qemu-img info reads its header
 * and L1 table: a damaged one fails). The failFinalizeVerification fault fails one call.
 */
export async function verifyUploadedVolume(ctx: EngineContext, t: TransferRecord, disk: DiskRecord): Promise<boolean> {
  if (ctx.faults.failFinalizeVerification) {
    ctx.faults.failFinalizeVerification = false;
    return false;
  }
  const image = ctx.images.get(disk.id);
  if (!image) return false;
  const header = readVolumeHeader(await image.read(0, 16));
  if (disk.format === 'raw') return !header.qcow2;
  if (t.backend === 'nbd') return true;
  return header.qcow2 && (header.version === 2 || header.version === 3) && header.backingFileOffset === 0n && (await opensAsQcow2(image));
}

/** True when the volume's bytes open as a qcow2 without a backing file (our reader's checks). */
async function opensAsQcow2(image: SimImage): Promise<boolean> {
  const io = {
    size: image.size,
    read: async (offset: number, buffer: Buffer) => {
      const n = Math.max(0, Math.min(buffer.length, image.size - offset));
      await image.readInto(offset, buffer.subarray(0, n));
      return n;
    },
  };
  return Qcow2Reader.open(io, 'volume').then(
    () => true,
    () => false,
  );
}
