/**
 * A restore as a queue job: an upload job that carries where its file came from (`restore`, the
 * backup run and disk, the VM to attach to), so it keeps the upload's one lifecycle — `TransferRun`,
 * verification, the queue's retries, the recovery of an interrupted upload — and after the upload
 * the two steps only a restore has: the backup's own digest compared, and the attach, which happens
 * once (a VM that already has the disk is not asked again, so a run after a crash does not attach twice).
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { DiskFerryError, errorMessage } from '../errors.js';
import type { TransferDeps } from '../transfer/deps.js';
import { digestSchema } from './manifest.js';

/** Where a restore job's file came from, and what follows its upload. */
export const RestoreOriginSchema = z.object({
  /** The backup run folder (null: a plain file was restored). */
  run: z.string().nullable(),
  /** The run's kind and start time (ISO), for the row's words ("Restore of disk x from <time>"). */
  runKind: z.enum(['full', 'incremental', 'snapshot']).nullable(),
  runStartedAt: z.string().nullable(),
  /** The VM the backup is of. */
  vm: z.object({ id: z.string(), name: z.string() }).nullable(),
  /** The backed-up disk: its alias and id, and the digest the backup recorded (null: none to compare). */
  backupDisk: z.object({ id: z.string(), alias: z.string(), digest: digestSchema.nullable() }).nullable(),
  /** Attach the new disk to this VM once restored. */
  attachVm: z.object({ id: z.string(), name: z.string() }).nullable(),
});
/** Where a restore job's file came from, and what follows its upload. */
export type RestoreOrigin = z.infer<typeof RestoreOriginSchema>;

/** What the steps after the upload found. */
export interface RestoreFinish {
  /** The backup's digest matched the data sent: true; null when none was comparable. */
  readonly matchesBackup: boolean | null;
  readonly attachedTo: { readonly id: string; readonly name: string } | null;
  /** The VM had the disk already (an earlier attempt attached it). */
  readonly alreadyAttached: boolean;
}

/** The uploaded disk and the digest its upload computed (null: not computed, e.g. after a crash the engine finished the upload). */
export interface RestoredUpload {
  readonly diskId: string;
  readonly diskName: string;
  readonly file: string;
  readonly digest: string | null;
  readonly checksum: { readonly algorithm: string; readonly blockSize: number } | null;
}

/**
 * After a restore's upload: the backup's digest compared with the digest of the data sent (a
 * different one means the backup files do not hold what was backed up: the new disk is deleted and
 * the error says so), then the attach, unless the VM has the disk already.
 */
export async function finishRestore(deps: TransferDeps, origin: RestoreOrigin, upload: RestoredUpload, options: { readonly signal?: AbortSignal | undefined; readonly queued?: boolean } = {}): Promise<RestoreFinish> {
  const { signal } = options;
  const recorded = origin.backupDisk?.digest ?? null;
  const sent = upload.checksum;
  let matchesBackup: boolean | null = null;
  if (recorded && upload.digest !== null && sent && recorded.algorithm === sent.algorithm && recorded.blockSize === sent.blockSize) {
    matchesBackup = recorded.value === upload.digest;
    if (!matchesBackup) {
      const removed = await deps.client.deleteDisk(upload.diskId).then(
        () => true,
        () => false,
      );
      throw new DiskFerryError(
        'verification-failed',
        `${basename(upload.file)} (with its chain) does not hold what the backup of disk ${origin.backupDisk!.alias} recorded: its checksum differs from the manifest's. The backup files were changed or damaged; restore another run.${removed ? ` The new disk '${upload.diskName}' was deleted.` : ` Delete the new disk '${upload.diskName}' (${upload.diskId}).`}`,
        { retryable: false },
      );
    }
  }
  const vm = origin.attachVm;
  if (!vm) return { matchesBackup, attachedTo: null, alreadyAttached: false };
  if (await hasDisk(deps, vm.id, upload.diskId, signal)) return { matchesBackup, attachedTo: vm, alreadyAttached: true };
  await deps.client.attachDisk(vm.id, upload.diskId, signal).catch((err: unknown) => {
    throw new DiskFerryError(
      'engine-fault',
      `Disk '${upload.diskName}' (${upload.diskId}) was restored, but attaching it to VM ${vm.name} failed: ${errorMessage(err)} The restored disk is kept: attach it in the Administration Portal${options.queued ? ', or retry the job (only the attach is tried again)' : ', or run the restore of this disk again without --attach'}.`,
      { cause: err, retryable: false, subject: { kind: 'vm', name: vm.name } },
    );
  });
  return { matchesBackup, attachedTo: vm, alreadyAttached: false };
}

/** Whether the VM has the disk attached; a VM the engine does not know is said in words. */
async function hasDisk(deps: TransferDeps, vmId: string, diskId: string, signal?: AbortSignal): Promise<boolean> {
  const vm = (await deps.client.vms(signal ? { signal } : {})).find((v) => v.id === vmId);
  if (!vm)
    throw new DiskFerryError('not-found', `The VM to attach the restored disk to (${vmId}) is gone from the engine. The restored disk ${diskId} is kept; attach it in the Administration Portal.`, {
      retryable: false,
    });
  return vm.diskIds.includes(diskId);
}
