/**
 * VM snapshots and disk snapshots (reference/backup.md §12): create (description mandatory, memory
 * optional, all or some disks), list and get with `snapshot_status` locked → ok, a snapshot's disks
 * with their point-in-time volume ids, removal (blocked during backups and transfers), and
 * `/disks/{id}/disksnapshots` (4.4.3+).
 */
import { API, type EngineContext } from './context.js';
import { diskSnapshotJson, snapshotDiskJson, snapshotJson } from './backup-json.js';
import { isUnfinished } from './backup-phases.js';
import { activeTransferOf } from './disks.js';
import { incompleteParameters, inputBool, inputRef, inputString, notFound, ok, operationFailed, type ApiRequest, type Reply } from './http-util.js';
import { collection } from './json.js';
import { activeSnapshotIdOf, type SnapshotRecord, type VmRecord } from './model.js';
import { removeSnapshotNow, takeSnapshot, topVolumeOf, volumeOf } from './snapshot-volumes.js';
import { vmOf } from './vms.js';

/** The disk ids of `disk_attachments: {disk_attachment: [{disk: {id}}]}`; undefined when absent (all disks). */
function attachmentDiskIds(body: Record<string, unknown>): string[] | undefined {
  const list = body['disk_attachments'] as { disk_attachment?: unknown } | undefined;
  if (list === undefined || list === null) return undefined;
  const items = Array.isArray(list.disk_attachment) ? list.disk_attachment : [];
  return items.map((a) => inputRef((a as Record<string, unknown>)['disk'])?.id ?? inputRef(a)?.id ?? '').filter((id) => id !== '');
}

/** POST /vms/{vm}/snapshots (CreateSnapshotForVmCommand). */
export async function addSnapshot(ctx: EngineContext, r: ApiRequest): Promise<Reply> {
  const vm = vmOf(ctx, r);
  const body = await r.json();
  const description = inputString(body['description']);
  if (description === undefined) throw incompleteParameters('Snapshot', ['description']);
  const persistMemory = inputBool(body['persist_memorystate'], 'persist_memorystate') ?? true;
  const diskIds = attachmentDiskIds(body) ?? vm.diskIds;
  const missing = diskIds.filter((id) => !vm.diskIds.includes(id));
  if (missing.length > 0) throw operationFailed(400, `Cannot create Snapshot. The following disk(s) are not attached to VM ${vm.name}: ${missing.join(', ')}.`);
  if ([...ctx.state.backups.values()].some((b) => b.vmId === vm.id && isUnfinished(b))) throw operationFailed(409, 'Cannot create Snapshot. The VM is during a backup operation.');
  const locked = diskIds.flatMap((id) => ctx.state.disks.get(id) ?? []).filter((d) => d.status === 'locked');
  if (locked.length > 0) throw operationFailed(409, `Cannot create Snapshot: The following disks are locked: ${locked.map((d) => d.name).join(', ')}. Please try again in a few minutes.`);
  const snapshot = await takeSnapshot(ctx, vm, { description, persistMemory: persistMemory && vm.status !== 'down', diskIds });
  return { status: 202, body: snapshotJson(vm, snapshot, ctx.now()), headers: { location: `https://${String(r.headers.host)}${API}/vms/${vm.id}/snapshots/${snapshot.id}` } };
}

function snapshotOf(ctx: EngineContext, r: ApiRequest, vm: VmRecord): SnapshotRecord | null {
  const id = r.params['s'] ?? '';
  if (id === activeSnapshotIdOf(vm)) return null;
  const s = ctx.state.snapshots.get(id);
  if (!s || s.vmId !== vm.id) throw notFound();
  return s;
}

/** GET /vms/{vm}/snapshots: the "Active VM" snapshot, then the regular ones, oldest first. */
export function listSnapshots(ctx: EngineContext, r: ApiRequest): Reply {
  const vm = vmOf(ctx, r);
  const regular = [...ctx.state.snapshots.values()].filter((s) => s.vmId === vm.id).sort((a, b) => a.createdAt - b.createdAt);
  return ok(collection('snapshot', [snapshotJson(vm, null, ctx.now()), ...regular.map((s) => snapshotJson(vm, s, ctx.now()))]));
}

/** GET /vms/{vm}/snapshots/{s}. */
export function getSnapshot(ctx: EngineContext, r: ApiRequest): Reply {
  const vm = vmOf(ctx, r);
  return ok(snapshotJson(vm, snapshotOf(ctx, r, vm), ctx.now()));
}

/** GET /vms/{vm}/snapshots/{s}/disks: each disk with `image_id` = its volume in that snapshot. */
export function listSnapshotDisks(ctx: EngineContext, r: ApiRequest): Reply {
  const vm = vmOf(ctx, r);
  const s = snapshotOf(ctx, r, vm);
  const disks = (s?.diskIds ?? vm.diskIds).flatMap((id) => ctx.state.disks.get(id) ?? []);
  return ok(
    collection(
      'disk',
      disks.flatMap((d) => {
        const volumeId = s ? volumeOf(ctx, s.id, d.id)?.id : d.imageId;
        return volumeId === undefined ? [] : [snapshotDiskJson(ctx, d, volumeId, s?.id ?? activeSnapshotIdOf(vm))];
      }),
    ),
  );
}

/** DELETE /vms/{vm}/snapshots/{s} (RemoveSnapshotCommand): `locked` while the live merge runs, then gone. */
export function deleteSnapshot(ctx: EngineContext, r: ApiRequest): Reply {
  const vm = vmOf(ctx, r);
  const s = snapshotOf(ctx, r, vm);
  if (s === null) throw operationFailed(409, 'Cannot remove Snapshot. The active VM snapshot cannot be removed.');
  if (s.removing) throw operationFailed(409, 'Cannot remove Snapshot. Snapshot is currently being removed.');
  if ([...ctx.state.backups.values()].some((b) => b.vmId === vm.id && isUnfinished(b))) throw operationFailed(409, 'Cannot remove Snapshot. The VM is during a backup operation.');
  const busy = s.diskIds.flatMap((id) => ctx.state.disks.get(id) ?? []).find((d) => activeTransferOf(ctx, d.id));
  if (busy) throw operationFailed(409, `Cannot remove Snapshot. Disk ${busy.name} is being transferred.`);
  if (s.status === 'locked') throw operationFailed(409, 'Cannot remove Snapshot. Snapshot is currently being created.');
  s.removing = true;
  s.status = 'locked';
  ctx.timers.after(ctx.timing.diskLockMs, () => (ctx.state.snapshots.get(s.id) === s ? removeSnapshotNow(ctx, s) : undefined));
  return { status: 200, body: null };
}

/** GET /disks/{d}/disksnapshots[?include_active=true] (4.4.3+): the disk's point-in-time volumes, base first. */
export function listDiskSnapshots(ctx: EngineContext, r: ApiRequest): Reply {
  const disk = ctx.state.disks.get(r.params['id'] ?? '');
  if (!disk) throw notFound();
  const chain = [];
  for (let v = topVolumeOf(ctx, disk.id); v; v = v.parentId === null ? undefined : ctx.state.volumes.get(v.parentId)) chain.unshift(v);
  const json = chain.map((v) => diskSnapshotJson(ctx, disk, v, false));
  if (r.query.get('include_active') === 'true') {
    const vm = [...ctx.state.vms.values()].find((m) => m.diskIds.includes(disk.id));
    json.push(diskSnapshotJson(ctx, disk, { id: disk.imageId, snapshotId: vm ? activeSnapshotIdOf(vm) : disk.imageId, parentId: chain[chain.length - 1]?.id ?? null }, true));
  }
  return ok(collection('disk_snapshot', json));
}
