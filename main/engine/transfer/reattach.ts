import { DiskFerryError } from '../errors.js';
import type { Disk, DiskFormat, ImageTransfer } from '../ovirt/types.js';
import type { TransferDeps } from './deps.js';

/** The disk and transfer of an upload that an earlier, interrupted run created. */
export interface UploadAttachment {
  readonly diskId: string;
  readonly transferId: string;
}

/**
 * Takes over an upload transfer the engine still holds (after the process that started it died):
 * reads the disk and the transfer, checks the disk is the one this image would create, and resumes a
 * paused transfer. The data phase then sends the whole image again: writes are idempotent, and what
 * the dead run sent may not have been flushed. Failures here are retryable, so the next attempt
 * looks again and starts over when the transfer is gone.
 */
export async function reattachUpload(deps: TransferDeps, ids: UploadAttachment, format: DiskFormat, signal: AbortSignal): Promise<{ disk: Disk; transfer: ImageTransfer }> {
  const { client, log } = deps;
  const gone = (what: string) => new DiskFerryError('transfer-failed', `The interrupted upload cannot be continued: ${what}. It starts over.`, { retryable: true });
  const disk = await client.disk(ids.diskId, signal);
  if (!disk) throw gone(`its disk ${ids.diskId} is gone`);
  if (disk.format !== format)
    throw new DiskFerryError('image-changed', `Disk ${ids.diskId} is ${disk.format}, but the image now needs a ${format} disk: the file changed since the upload began.`, {
      retryable: false,
    });
  let transfer = await client.transfer(ids.transferId, signal);
  if (transfer && (transfer.phase === 'paused_user' || transfer.phase === 'paused_system')) {
    log.info('resuming an interrupted upload', { transfer: ids.transferId, phase: transfer.phase });
    await client.resumeTransfer(ids.transferId, signal);
    transfer = await client.transfer(ids.transferId, signal);
  }
  if (!transfer) throw gone(`the engine no longer has transfer ${ids.transferId}`);
  log.info('re-attached to an upload', { diskId: disk.id, transfer: transfer.id, phase: transfer.phase });
  return { disk, transfer };
}
