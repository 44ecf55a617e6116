import { DiskFerryError } from '../errors.js';
import type { Disk, DiskFormat, ImageTransfer } from '../ovirt/types.js';
import type { TransferDeps } from './deps.js';

/** The disk and transfer of an upload that an earlier, interrupted run created. */
export interface UploadAttachment {
  readonly diskId: string;
  /** The transfer to continue; null when there is none any more (a new one is made on the same disk). */
  readonly transferId: string | null;
}

/** Phases in which an upload transfer can be taken over and continued. */
export const REATTACHABLE_PHASES: ReadonlySet<string> = new Set(['initializing', 'transferring', 'resuming', 'paused_system', 'paused_user']);

/**
 * Takes over the disk of an upload an earlier run began (after the process that started it died):
 * reads the disk and checks it is the one this image would create (format, size); a transfer that is
 * still open is continued (resumed when paused), and when it is gone while the disk is `ok` (never
 * given a transfer, or one another client finalized early) the run makes a new upload transfer on
 * the same disk, which the engine allows on every version (reference/engine.md §4.1). What the data
 * phase sends then depends on the upload journal. Failures here are retryable, so the next attempt
 * looks again and starts over when the disk is gone.
 */
export async function reattachUpload(
  deps: TransferDeps,
  ids: UploadAttachment,
  expected: { readonly format: DiskFormat; readonly virtualSize: number },
  signal: AbortSignal,
): Promise<{ disk: Disk; transfer: ImageTransfer | null }> {
  const { client, log } = deps;
  const gone = (what: string) => new DiskFerryError('transfer-failed', `The interrupted upload cannot be continued: ${what}. It starts over.`, { retryable: true });
  const disk = await client.disk(ids.diskId, signal);
  if (!disk) throw gone(`its disk ${ids.diskId} is gone`);
  if (disk.format !== expected.format || (disk.provisionedSize !== null && disk.provisionedSize !== expected.virtualSize))
    throw new DiskFerryError(
      'image-changed',
      `Disk ${ids.diskId} is a ${disk.format} disk of ${disk.provisionedSize} bytes, but the image now needs a ${expected.format} disk of ${expected.virtualSize}: the file changed since the upload began.`,
      { retryable: false },
    );
  let transfer = ids.transferId ? await client.transfer(ids.transferId, signal) : null;
  if (transfer && (transfer.phase === 'paused_user' || transfer.phase === 'paused_system')) {
    log.info('resuming an interrupted upload', { transfer: transfer.id, phase: transfer.phase });
    await client.resumeTransfer(transfer.id, signal);
    transfer = await client.transfer(transfer.id, signal);
  }
  if (transfer && REATTACHABLE_PHASES.has(transfer.phase)) {
    log.info('re-attached to an upload', { diskId: disk.id, transfer: transfer.id, phase: transfer.phase });
    return { disk, transfer };
  }
  if (disk.status !== 'ok') throw gone(`its transfer ended and disk ${ids.diskId} is ${disk.status}`);
  log.info('continuing an interrupted upload with a new transfer on its disk', { diskId: disk.id });
  return { disk, transfer: null };
}
