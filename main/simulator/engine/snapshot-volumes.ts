/**
 * Snapshots underneath the REST API (reference/backup.md §12): taking one freezes each covered
 * disk's active volume as the point-in-time volume of the new snapshot and gives the disk a new
 * active volume; removing one merges its volumes into their children (live merge).
 */
import { randomUUID } from 'node:crypto';
import { RangeSet } from '../../../shared/range-set.js';
import type { EngineContext } from './context.js';
import type { SnapshotRecord, VmRecord, VolumeRecord } from './model.js';

/** The newest point-in-time volume of a disk (the active volume's parent), if any. */
export function topVolumeOf(ctx: EngineContext, diskId: string): VolumeRecord | undefined {
  const own = [...ctx.state.volumes.values()].filter((v) => v.diskId === diskId);
  return own.find((v) => !own.some((w) => w.parentId === v.id));
}

/**
 * Takes a snapshot of `diskIds` now (status `locked` until the engine's tasks end). Before the new
 * active volume starts, `beforeSwitch` runs per disk (a hybrid backup copies its bitmaps there).
 */
export async function takeSnapshot(
  ctx: EngineContext,
  vm: VmRecord,
  o: { description: string; persistMemory: boolean; diskIds: readonly string[]; beforeSwitch?: (diskId: string, volumeId: string) => void },
): Promise<SnapshotRecord> {
  const now = ctx.now();
  const snapshot: SnapshotRecord = { id: randomUUID(), vmId: vm.id, description: o.description, persistMemory: o.persistMemory, status: 'locked', diskIds: [...o.diskIds], createdAt: now, removing: false };
  ctx.state.snapshots.set(snapshot.id, snapshot);
  // CreateSnapshotForVmCommand.updateActiveSnapshotId: the active layers get a new snapshot id.
  vm.activeSnapshotId = randomUUID();
  for (const diskId of o.diskIds) {
    const disk = ctx.state.disks.get(diskId);
    const active = ctx.images.get(diskId);
    if (!disk || !active) continue;
    const volumeId = disk.imageId;
    await ctx.images.copy(active, volumeId);
    ctx.state.volumes.set(volumeId, { id: volumeId, diskId, snapshotId: snapshot.id, parentId: topVolumeOf(ctx, diskId)?.id ?? null, createdAt: now });
    o.beforeSwitch?.(diskId, volumeId);
    disk.imageId = randomUUID();
    active.layer = new RangeSet();
  }
  ctx.timers.after(ctx.timing.diskLockMs, () => {
    if (snapshot.status === 'locked' && !snapshot.removing) snapshot.status = 'ok';
  });
  return snapshot;
}

/** Merges one point-in-time volume into its child (the next volume up, or the disk's active volume). */
async function mergeVolume(ctx: EngineContext, v: VolumeRecord): Promise<void> {
  const child = [...ctx.state.volumes.values()].find((w) => w.parentId === v.id);
  const childImage = ctx.images.get(child ? child.id : v.diskId);
  const image = ctx.images.get(v.id);
  if (childImage && image) for (const r of image.layer.toArray()) childImage.layer.add(r.start, r.end);
  if (child) child.parentId = v.parentId;
  ctx.state.volumes.delete(v.id);
  await ctx.images.delete(v.id);
}

/** Removes a snapshot and merges its volumes at once (the end of RemoveSnapshot). */
export async function removeSnapshotNow(ctx: EngineContext, snapshot: SnapshotRecord): Promise<void> {
  for (const v of [...ctx.state.volumes.values()]) if (v.snapshotId === snapshot.id) await mergeVolume(ctx, v);
  ctx.state.snapshots.delete(snapshot.id);
}

/** The point-in-time volume of `diskId` in a snapshot, if it covers the disk. */
export function volumeOf(ctx: EngineContext, snapshotId: string, diskId: string): VolumeRecord | undefined {
  return [...ctx.state.volumes.values()].find((v) => v.snapshotId === snapshotId && v.diskId === diskId);
}
