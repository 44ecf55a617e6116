/**
 * Engine JSON of backups, checkpoints, snapshots and disk snapshots (reference/backup.md §1–§3a):
 * what the engine's mappers emit, per version — dates as epoch ms, nulls omitted, a backup's disks
 * only as a link, `to_checkpoint_id` from `ready` on.
 */
import { API, type EngineContext } from './context.js';
import { actions, bool, diskJson, int, links, ref } from './json.js';
import { activeSnapshotIdOf, versionAtLeast, type BackupRecord, type BackupStep, type CheckpointRecord, type DiskRecord, type SnapshotRecord, type VmRecord, type VolumeRecord } from './model.js';

type Json = Record<string, unknown>;

/** The REST phase of an internal backup step (VmBackupMapper). */
export function backupPhase(step: BackupStep): string {
  switch (step) {
    case 'initializing':
    case 'creating_scratch_disks':
    case 'adding_bitmaps':
    case 'waiting_for_bitmaps':
      return 'initializing';
    case 'finalizing':
    case 'finalizing_failure':
    case 'removing_snapshot':
      return 'finalizing';
    default:
      return step;
  }
}

const BEFORE_READY: ReadonlySet<BackupStep> = new Set(['initializing', 'creating_scratch_disks', 'adding_bitmaps', 'waiting_for_bitmaps', 'starting']);

/** A backup (VmBackupMapper): `host` for live legacy backups (4.4.4+), `snapshot` for hybrid ones. */
export function backupJson(ctx: EngineContext, b: BackupRecord): Json {
  const href = `${API}/vms/${b.vmId}/backups/${b.id}`;
  const v44 = versionAtLeast(ctx.version, '4.4');
  // The engine writes to_checkpoint_id when the backup becomes ready.
  const shownCheckpoint = !BEFORE_READY.has(b.step);
  return {
    creation_date: b.createdAt,
    ...(v44 ? { modification_date: b.modifiedAt } : {}),
    ...(b.description !== null ? { description: b.description } : {}),
    ...(b.fromCheckpointId !== null ? { from_checkpoint_id: b.fromCheckpointId } : {}),
    ...(shownCheckpoint && b.toCheckpointId !== null ? { to_checkpoint_id: b.toCheckpointId } : {}),
    phase: backupPhase(b.step),
    ...(v44 && b.hostId !== null ? { host: ref('hosts', b.hostId) } : {}),
    ...(b.snapshotId !== null ? { snapshot: { id: b.snapshotId } } : {}),
    vm: ref('vms', b.vmId),
    actions: actions(href, ['finalize']),
    link: links(href, ['disks']),
    href,
    id: b.id,
  };
}

/** A disk inside a backup or checkpoint: the whole disk object without links; `backup_mode` while set (4.4.3+). */
export function backupDiskJson(ctx: EngineContext, disk: DiskRecord, mode: 'full' | 'incremental' | null): Json {
  const { link: _link, actions: _actions, href: _href, ...json } = diskJson(ctx, disk);
  return { ...json, ...(mode !== null && versionAtLeast(ctx.version, '4.4') ? { backup_mode: mode } : {}) };
}

/** A checkpoint (VmCheckpointMapper): no `parent_id` on the root; `state` since 4.4.7. */
export function checkpointJson(c: CheckpointRecord): Json {
  const href = `${API}/vms/${c.vmId}/checkpoints/${c.id}`;
  return {
    creation_date: c.createdAt,
    ...(c.description !== null ? { description: c.description } : {}),
    ...(c.parentId !== null ? { parent_id: c.parentId } : {}),
    state: c.state,
    vm: ref('vms', c.vmId),
    link: links(href, ['disks']),
    href,
    id: c.id,
  };
}

/** A snapshot of a VM; the "Active VM" one when `s` is null. */
export function snapshotJson(vm: VmRecord, s: SnapshotRecord | null, now: number): Json {
  const id = s?.id ?? activeSnapshotIdOf(vm);
  const href = `${API}/vms/${vm.id}/snapshots/${id}`;
  return {
    date: s?.createdAt ?? now,
    persist_memorystate: bool(s?.persistMemory ?? false),
    snapshot_status: s?.status ?? 'ok',
    snapshot_type: s ? 'regular' : 'active',
    description: s?.description ?? 'Active VM',
    vm: ref('vms', vm.id),
    actions: actions(href, ['restore']),
    link: links(href, ['disks', 'nics', 'cdroms']),
    href,
    id,
  };
}

/** A disk as a snapshot shows it (`GET …/snapshots/{s}/disks`): `image_id` is the disk-snapshot (volume) id. */
export function snapshotDiskJson(ctx: EngineContext, disk: DiskRecord, volumeId: string, snapshotId: string): Json {
  return { ...backupDiskJson(ctx, disk, null), image_id: volumeId, snapshot: { id: snapshotId } };
}

/** A disk snapshot (DiskSnapshotMapper): the volume `id`, its snapshot, parent and disk; no `image_id`. */
export function diskSnapshotJson(ctx: EngineContext, disk: DiskRecord, v: Pick<VolumeRecord, 'id' | 'snapshotId' | 'parentId'>, active: boolean): Json {
  const href = `${API}/disks/${disk.id}/disksnapshots/${v.id}`;
  const image = ctx.images.get(active ? disk.id : v.id);
  return {
    actual_size: int(image?.data.size ?? 0),
    alias: disk.name,
    format: disk.format,
    provisioned_size: int(disk.provisionedSize),
    sparse: bool(disk.sparse),
    status: active ? disk.status : 'ok',
    storage_type: 'image',
    disk: ref('disks', disk.id),
    ...(v.parentId !== null ? { parent: { href: `${API}/disks/${disk.id}/disksnapshots/${v.parentId}`, id: v.parentId } } : {}),
    snapshot: { id: v.snapshotId },
    storage_domains: { storage_domain: [ref('storagedomains', disk.storageDomainId)] },
    href,
    id: v.id,
  };
}
