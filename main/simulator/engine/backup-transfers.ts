/**
 * Image transfers through a backup (reference/backup.md §9): the backup's validations, the disk's
 * point-in-time export as the volume, the VM's host, and the ticket's `dirty` flag.
 */
import type { EngineContext } from './context.js';
import { operationFailed } from './http-util.js';
import { vmHostId, type DiskFormat, type DiskRecord, type TransferDirection } from './model.js';

const FAIL = 'Cannot transfer Virtual Disk.';

/** What a backup transfer reads, and where. */
export interface BackupTransferTarget {
  readonly backupId: string;
  /** The ImageStore key of the disk's export. */
  readonly imageKey: string;
  /** The VM's host while it runs (the user's `host` is ignored then); null for a down VM. */
  readonly hostId: string | null;
  /** True for an incremental disk of a backup with a from-checkpoint: `extents?context=dirty` works. */
  readonly dirty: boolean;
}

/** TransferDiskImageCommand's backup checks, in order; throws the engine's fault. */
export function backupTransferTarget(
  ctx: EngineContext,
  disk: DiskRecord,
  backupId: string | undefined,
  format: DiskFormat | undefined,
  direction: TransferDirection,
  viaSnapshot: boolean,
): BackupTransferTarget {
  const b = backupId === undefined ? undefined : ctx.state.backups.get(backupId);
  if (b?.mode === 'hybrid' && (b.snapshotId === null || !ctx.state.snapshots.has(b.snapshotId))) throw operationFailed(400, `${FAIL} VM's Snapshot does not exist.`);
  if (!b) throw operationFailed(400, `${FAIL} The specified VM backup does not exist.`);
  if (b.step !== 'ready') throw operationFailed(409, `${FAIL} The VM backup is not in READY phase, backup phase is ${b.step.toUpperCase()}.`);
  if (format === 'cow') throw operationFailed(400, `${FAIL} The specified format is not applicable for VM backup.`);
  // Not found in the sources: reasonable wordings for requests the engine cannot serve either.
  if (direction !== 'download' || viaSnapshot) throw operationFailed(400, `${FAIL} A VM backup can only be downloaded, disk by disk.`);
  const imageKey = b.exports.get(disk.id);
  if (!b.diskIds.includes(disk.id) || imageKey === undefined) throw operationFailed(400, `${FAIL} Disk ${disk.name} is not part of the VM backup.`);
  const vm = ctx.state.vms.get(b.vmId);
  return {
    backupId: b.id,
    imageKey,
    hostId: vm ? vmHostId(ctx.state, vm) : null,
    dirty: b.fromCheckpointId !== null && b.backupModes.get(disk.id) === 'incremental',
  };
}
