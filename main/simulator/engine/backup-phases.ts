/**
 * The backup phase machines (reference/backup.md §6, §7): live legacy, cold and hybrid, driven by
 * the engine's callback ticks; the point-in-time exports and dirty bitmaps behind backup transfers;
 * the end of a backup (disks unlocked, checkpoint removed after a failure, retention of the row).
 */
import { RangeSet } from '../../../shared/range-set.js';
import type { EngineContext } from './context.js';
import { removeSnapshotNow, takeSnapshot } from './snapshot-volumes.js';
import { isFinishedPhase, versionAtLeast, type BackupRecord, type CheckpointRecord } from './model.js';

/** SucceededBackupCleanupTimeInMinutes / FailedBackupCleanupTimeInMinutes (4.4.7+). */
const SUCCESS_RETENTION_MS = 15 * 60 * 1000;
const FAILURE_RETENTION_MS = 30 * 60 * 1000;

/** The ImageStore key of a legacy or cold backup's export of one disk. */
const exportKey = (b: BackupRecord, diskId: string) => `backup-${b.id}-${diskId}`;

/** True until the backup succeeded or failed (VmCommand.isVmDuringBackup: finalizing counts). */
export function isUnfinished(b: BackupRecord): boolean {
  return b.step !== 'succeeded' && b.step !== 'failed';
}

/** The leaf of a VM's checkpoint chain (the one no other checkpoint names as parent). */
export function leafCheckpoint(ctx: EngineContext, vmId: string): CheckpointRecord | undefined {
  const chain = [...ctx.state.checkpoints.values()].filter((c) => c.vmId === vmId);
  return chain.find((c) => !chain.some((d) => d.parentId === c.id));
}

/** The dirty map a disk's export reports: writes since the from-checkpoint, for incremental disks only. */
function dirtyFor(ctx: EngineContext, b: BackupRecord, diskId: string) {
  if (b.fromCheckpointId === null || b.backupModes.get(diskId) !== 'incremental') return undefined;
  return ctx.images.get(diskId)?.bitmaps.get(b.fromCheckpointId);
}

/** Starts the new checkpoint's bitmap on the disk's active volume (only qcow2 disks join checkpoints). */
function addBitmap(ctx: EngineContext, b: BackupRecord, diskId: string): void {
  if (b.toCheckpointId !== null && ctx.state.disks.get(diskId)?.format === 'cow') ctx.images.get(diskId)?.bitmaps.set(b.toCheckpointId, new RangeSet());
}

/** Legacy and cold: the point-in-time export of each disk (the scratch-disk view) and the new bitmaps. */
async function freezeExports(ctx: EngineContext, b: BackupRecord): Promise<void> {
  for (const diskId of b.diskIds) {
    const image = ctx.images.get(diskId);
    if (!image) continue;
    await ctx.images.copy(image, exportKey(b, diskId), dirtyFor(ctx, b, diskId));
    b.exports.set(diskId, exportKey(b, diskId));
    addBitmap(ctx, b, diskId);
  }
}

/** Hybrid: the snapshot "Auto-generated for Backup VM"; its pre-snapshot volumes are the exports. */
export async function startHybridSnapshot(ctx: EngineContext, b: BackupRecord): Promise<void> {
  const vm = ctx.state.vms.get(b.vmId);
  if (!vm) return;
  const snapshot = await takeSnapshot(ctx, vm, {
    description: 'Auto-generated for Backup VM',
    persistMemory: false,
    diskIds: b.diskIds,
    beforeSwitch: (diskId, volumeId) => {
      const frozen = ctx.images.get(volumeId);
      const dirty = dirtyFor(ctx, b, diskId);
      if (frozen && dirty) for (const r of dirty.toArray()) frozen.dirty.add(r.start, r.end);
      b.exports.set(diskId, volumeId);
      addBitmap(ctx, b, diskId);
    },
  });
  b.snapshotId = snapshot.id;
}

function setStep(ctx: EngineContext, b: BackupRecord, step: BackupRecord['step']): void {
  b.step = step;
  b.modifiedAt = ctx.now();
}

/** The end: phase, disks unlocked (legacy), exports dropped, and on 4.3 the row itself. */
async function end(ctx: EngineContext, b: BackupRecord, outcome: 'succeeded' | 'failed'): Promise<void> {
  if (outcome === 'failed' && b.mode !== 'hybrid' && b.toCheckpointId !== null) ctx.state.checkpoints.delete(b.toCheckpointId);
  // A bitmap whose checkpoint never came to be (failed, or a hybrid backup stopped before ready) goes too.
  if (b.toCheckpointId !== null && !ctx.state.checkpoints.has(b.toCheckpointId)) for (const id of b.diskIds) ctx.images.get(id)?.bitmaps.delete(b.toCheckpointId);
  for (const diskId of b.diskIds) {
    const disk = ctx.state.disks.get(diskId);
    if (disk && b.mode !== 'hybrid') {
      disk.status = 'ok';
      disk.backupMode = null;
    }
    const key = exportKey(b, diskId);
    if (b.exports.get(diskId) === key) await ctx.images.delete(key);
  }
  const snapshot = b.snapshotId === null ? undefined : ctx.state.snapshots.get(b.snapshotId);
  if (snapshot) await removeSnapshotNow(ctx, snapshot);
  // The phase last: whoever sees it finished finds the clean-up done.
  setStep(ctx, b, outcome);
  b.finishedAt = ctx.now();
  // Before 4.4.7 there are no succeeded/failed phases: the row goes away.
  if (!versionAtLeast(ctx.version, '4.4')) ctx.state.backups.delete(b.id);
}

/** Legacy live or cold: a failure before ready (the failNextBackup fault) ends in `failed`. */
async function tickLegacy(ctx: EngineContext, b: BackupRecord): Promise<void> {
  switch (b.step) {
    case 'initializing':
      return setStep(ctx, b, b.mode === 'cold' ? 'adding_bitmaps' : 'creating_scratch_disks');
    case 'adding_bitmaps':
      return setStep(ctx, b, 'waiting_for_bitmaps');
    case 'creating_scratch_disks':
      return setStep(ctx, b, 'starting');
    case 'starting':
    case 'waiting_for_bitmaps':
      if (ctx.faults.failNextBackup) {
        ctx.faults.failNextBackup = false;
        return end(ctx, b, 'failed');
      }
      await freezeExports(ctx, b);
      return setStep(ctx, b, 'ready');
    case 'finalizing':
      return end(ctx, b, 'succeeded');
    case 'finalizing_failure':
      return end(ctx, b, 'failed');
    default:
      return;
  }
}

/** Hybrid: `starting` until the snapshot is done; finalize is a flag the next tick acts on. */
async function tickHybrid(ctx: EngineContext, b: BackupRecord): Promise<void> {
  const snapshot = b.snapshotId === null ? undefined : ctx.state.snapshots.get(b.snapshotId);
  switch (b.step) {
    case 'starting':
      if (ctx.faults.failNextBackup) {
        ctx.faults.failNextBackup = false;
        return end(ctx, b, 'failed');
      }
      if (b.stopped) return setStep(ctx, b, 'removing_snapshot');
      if (snapshot?.status !== 'ok') return;
      if (b.toCheckpointId !== null) {
        const leaf = leafCheckpoint(ctx, b.vmId);
        const diskIds = b.diskIds.filter((id) => ctx.state.disks.get(id)?.format === 'cow');
        ctx.state.checkpoints.set(b.toCheckpointId, { id: b.toCheckpointId, vmId: b.vmId, parentId: leaf?.id ?? null, createdAt: ctx.now(), state: 'created', description: b.description, diskIds, removing: false });
      }
      return setStep(ctx, b, 'ready');
    case 'ready':
      if (b.stopped) setStep(ctx, b, 'removing_snapshot');
      return;
    case 'removing_snapshot':
      return end(ctx, b, 'succeeded');
    default:
      return;
  }
}

/** Schedules the engine's callback ticks for a backup until it has ended. */
export function scheduleBackupTicks(ctx: EngineContext, b: BackupRecord, n = 0): void {
  ctx.timers.after(ctx.timing.pollDelayMs(n), async () => {
    if (!isUnfinished(b) || !ctx.state.backups.has(b.id)) return;
    await (b.mode === 'hybrid' ? tickHybrid(ctx, b) : tickLegacy(ctx, b));
    if (isUnfinished(b)) scheduleBackupTicks(ctx, b, n + 1);
  });
}

/** True when an image transfer of this backup is still running (finalize is then refused). */
export function hasActiveTransfer(ctx: EngineContext, b: BackupRecord): boolean {
  return [...ctx.state.transfers.values()].some((t) => t.backupId === b.id && !isFinishedPhase(t.phase));
}

/** Deletes finished backups older than their retention (DbEntityCleanupManager). */
export function purgeFinishedBackups(ctx: EngineContext): void {
  const now = ctx.now();
  for (const b of ctx.state.backups.values()) {
    if (b.finishedAt === null) continue;
    if (now - b.finishedAt > (b.step === 'succeeded' ? SUCCESS_RETENTION_MS : FAILURE_RETENTION_MS)) ctx.state.backups.delete(b.id);
  }
}
