/**
 * VM checkpoints (reference/backup.md §8), 4.4 and later: the linear chain, a checkpoint's disks,
 * and removal of any checkpoint (the child is re-pointed, the bitmaps dropped, the row deleted
 * after the engine's task; a down VM's checkpoint is `invalid` meanwhile).
 */
import type { EngineContext } from './context.js';
import { backupDiskJson, checkpointJson } from './backup-json.js';
import { isUnfinished } from './backup-phases.js';
import { notFound, ok, operationFailed, type ApiRequest, type Reply } from './http-util.js';
import { collection } from './json.js';
import type { CheckpointRecord } from './model.js';
import { vmOf } from './vms.js';

function checkpointOf(ctx: EngineContext, r: ApiRequest): CheckpointRecord {
  const vm = vmOf(ctx, r);
  const c = ctx.state.checkpoints.get(r.params['c'] ?? '');
  if (!c || c.vmId !== vm.id) throw notFound();
  return c;
}

/** The chain from the root to the leaf. */
function chainOf(ctx: EngineContext, vmId: string): CheckpointRecord[] {
  const all = [...ctx.state.checkpoints.values()].filter((c) => c.vmId === vmId);
  const out: CheckpointRecord[] = [];
  let next = all.find((c) => c.parentId === null || !all.some((p) => p.id === c.parentId));
  while (next && !out.includes(next)) {
    out.push(next);
    const id: string = next.id;
    next = all.find((c) => c.parentId === id);
  }
  return out;
}

/** GET /vms/{vm}/checkpoints, root first. */
export function listCheckpoints(ctx: EngineContext, r: ApiRequest): Reply {
  return ok(collection('checkpoint', chainOf(ctx, vmOf(ctx, r).id).map(checkpointJson)));
}

/** GET /vms/{vm}/checkpoints/{c}. */
export function getCheckpoint(ctx: EngineContext, r: ApiRequest): Reply {
  return ok(checkpointJson(checkpointOf(ctx, r)));
}

/** GET /vms/{vm}/checkpoints/{c}/disks. */
export function listCheckpointDisks(ctx: EngineContext, r: ApiRequest): Reply {
  const c = checkpointOf(ctx, r);
  return ok(collection('disk', c.diskIds.flatMap((id) => ctx.state.disks.get(id) ?? []).map((d) => backupDiskJson(ctx, d, null))));
}

/** DELETE /vms/{vm}/checkpoints/{c} (DeleteVmCheckpointCommand). */
export function deleteCheckpoint(ctx: EngineContext, r: ApiRequest): Reply {
  const vm = vmOf(ctx, r);
  const c = checkpointOf(ctx, r);
  if (c.removing) return ok({ status: 'complete' });
  if ([...ctx.state.backups.values()].some((b) => b.vmId === vm.id && isUnfinished(b))) throw operationFailed(409, 'Cannot remove checkpoint. The VM is during a backup operation.');
  const locked = c.diskIds.flatMap((id) => ctx.state.disks.get(id) ?? []).filter((d) => d.status === 'locked');
  if (locked.length > 0) throw operationFailed(409, `Cannot remove checkpoint. The following disks are locked: ${locked.map((d) => d.name).join(', ')}. Please try again in a few minutes.`);
  c.removing = true;
  // A down VM's checkpoint is marked invalid before its bitmaps are removed from the volumes.
  if (vm.status === 'down') c.state = 'invalid';
  ctx.timers.after(ctx.timing.diskLockMs, () => {
    for (const child of ctx.state.checkpoints.values()) if (child.parentId === c.id) child.parentId = c.parentId;
    for (const id of c.diskIds) ctx.images.get(id)?.bitmaps.delete(c.id);
    ctx.state.checkpoints.delete(c.id);
  });
  return ok({ status: 'complete' });
}
