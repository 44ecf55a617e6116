/**
 * The VM backup API (reference/backup.md §3–§7): start with the engine's validations in order,
 * list, get, the backup's disks and finalize. Live legacy on 4.3/4.4 (4.3: no checkpoints, VM up
 * only), cold for a down VM (4.4+), hybrid by default on 4.5 (`?legacy=true` opts out).
 */
import { randomUUID } from 'node:crypto';
import { API, type EngineContext } from './context.js';
import { incompleteParameters, inputRef, inputString, notFound, ok, operationFailed, type ApiRequest, type Reply } from './http-util.js';
import { backupDiskJson, backupJson } from './backup-json.js';
import { collection } from './json.js';
import { hasActiveTransfer, isUnfinished, leafCheckpoint, purgeFinishedBackups, scheduleBackupTicks, startHybridSnapshot } from './backup-phases.js';
import { vmOf } from './vms.js';
import { versionAtLeast, vmHostId, type BackupRecord, type DiskRecord, type VmRecord } from './model.js';

const FAIL = 'Cannot backup VM.';

/** ParametersHelper.getBooleanParameter: bare `?x` → `empty`, true/false parsed, else the missing default. */
function boolParam(query: URLSearchParams, name: string, empty: boolean): boolean {
  const v = query.get(name);
  if (v === null) return false;
  if (v === '') return empty;
  return v.toLowerCase() === 'true' ? true : false;
}

/** The disk ids of `disks: {disk: [{id}]}`. */
function diskIdsOf(body: Record<string, unknown>): string[] | undefined {
  const disks = body['disks'] as { disk?: unknown } | undefined;
  if (!disks || !Array.isArray(disks.disk)) return undefined;
  return disks.disk.map((d) => inputRef(d)?.id ?? '').filter((id) => id !== '');
}

/** The checks of StartVmBackupCommand / HybridBackupCommand.validate, in their order (§5). */
function validateStart(ctx: EngineContext, vm: VmRecord, diskIds: readonly string[], from: string | undefined, description: string | undefined, id: string | undefined): DiskRecord[] {
  const missing = diskIds.filter((d) => !ctx.state.disks.has(d));
  if (missing.length > 0) throw operationFailed(400, `${FAIL} The following disk(s) ID(s) does not exist: ${missing.join(', ')}.`);
  const disks = diskIds.map((d) => ctx.state.disks.get(d)!);
  const locked = disks.filter((d) => d.status === 'locked');
  if (locked.length > 0) throw operationFailed(409, `${FAIL} The following disks are locked: ${locked.map((d) => d.name).join(', ')}. Please try again in a few minutes.`);
  const unplugged = diskIds.filter((d) => !vm.diskIds.includes(d));
  if (unplugged.length > 0) throw operationFailed(409, `${FAIL} The following disks are not active on VM ${vm.name}: ${unplugged.join(', ')}`);
  if (!versionAtLeast(ctx.version, '4.4')) {
    // 4.3 (tech preview): every disk must have incremental backup enabled.
    const disabled = disks.filter((d) => d.backup !== 'incremental');
    if (disabled.length > 0) throw operationFailed(409, `${FAIL} Incremental backup is disabled for the following disks: ${disabled.map((d) => d.id).join(', ')}.`);
  }
  if (from !== undefined) {
    if (!versionAtLeast(ctx.version, '4.4')) throw operationFailed(400, `${FAIL} Incremental backup is not supported.`);
    const checkpoint = ctx.state.checkpoints.get(from);
    if (!checkpoint || checkpoint.vmId !== vm.id) throw operationFailed(400, `${FAIL} Checkpoint ID ${from} doesn't exist.`);
    if (checkpoint.state === 'invalid') throw operationFailed(400, `${FAIL} Checkpoint ID ${from} is invalid and should be removed.`);
  }
  const allowed = versionAtLeast(ctx.version, '4.4') ? ['up', 'down'] : ['up'];
  if (!allowed.includes(vm.status)) throw operationFailed(409, `${FAIL} The Virtual Machine should be in ${versionAtLeast(ctx.version, '4.4') ? 'Up or Down' : 'Up'} status.`);
  if ([...ctx.state.backups.values()].some((b) => b.vmId === vm.id && isUnfinished(b))) throw operationFailed(409, `${FAIL} The VM is during a backup operation.`);
  if (description !== undefined && description.length > 1024) throw operationFailed(400, `${FAIL} The backup description must not exceed 1024 characters.`);
  if (id !== undefined && ctx.state.backups.has(id)) throw operationFailed(400, `${FAIL} The specified VM backup ID ${id} already exists.`);
  return disks;
}

/** POST /vms/{vm}/backups. */
export async function startBackup(ctx: EngineContext, r: ApiRequest): Promise<Reply> {
  const vm = vmOf(ctx, r);
  const body = await r.json();
  const diskIds = diskIdsOf(body);
  if (diskIds === undefined || diskIds.length === 0) throw incompleteParameters('Backup', ['disks']);
  const from = inputString(body['from_checkpoint_id']);
  const description = inputString(body['description']);
  const requestedId = inputString(body['id']);
  const disks = validateStart(ctx, vm, diskIds, from, description, requestedId);

  const hybrid = versionAtLeast(ctx.version, '4.5') && !boolParam(r.query, 'legacy', false);
  const mode = hybrid ? 'hybrid' : vm.status === 'down' ? 'cold' : 'live';
  const checkpoints = versionAtLeast(ctx.version, '4.4');
  const fromCheckpoint = from === undefined ? undefined : ctx.state.checkpoints.get(from);
  const now = ctx.now();
  const b: BackupRecord = {
    id: requestedId ?? randomUUID(),
    vmId: vm.id,
    mode,
    diskIds,
    fromCheckpointId: from ?? null,
    // Only qcow2 disks join checkpoints: a backup of raw disks only creates none.
    toCheckpointId: checkpoints && disks.some((d) => d.format === 'cow') ? randomUUID() : null,
    description: description ?? null,
    step: hybrid ? 'starting' : 'initializing',
    hostId: mode === 'live' && versionAtLeast(ctx.version, '4.4') ? vmHostId(ctx.state, vm) : null,
    snapshotId: null,
    stopped: false,
    backupModes: new Map(disks.map((d) => [d.id, fromCheckpoint?.diskIds.includes(d.id) && d.format === 'cow' ? 'incremental' : 'full'])),
    exports: new Map(),
    createdAt: now,
    modifiedAt: now,
    finishedAt: null,
  };
  ctx.state.backups.set(b.id, b);
  for (const d of disks) {
    if (versionAtLeast(ctx.version, '4.4')) d.backupMode = b.backupModes.get(d.id)!;
    if (mode !== 'hybrid') d.status = 'locked';
  }
  if (mode !== 'hybrid' && b.toCheckpointId !== null) {
    // Legacy inserts the checkpoint row at once (parent = the current leaf); a failure deletes it.
    const leaf = leafCheckpoint(ctx, vm.id);
    const covered = disks.filter((d) => d.format === 'cow').map((d) => d.id);
    ctx.state.checkpoints.set(b.toCheckpointId, { id: b.toCheckpointId, vmId: vm.id, parentId: leaf?.id ?? null, createdAt: now, state: 'created', description: b.description, diskIds: covered, removing: false });
  }
  if (mode === 'hybrid') await startHybridSnapshot(ctx, b);
  scheduleBackupTicks(ctx, b);
  return { status: 201, body: backupJson(ctx, b), headers: { location: `https://${String(r.headers.host)}${API}/vms/${vm.id}/backups/${b.id}` } };
}

function backupOf(ctx: EngineContext, r: ApiRequest, vm: VmRecord): BackupRecord {
  purgeFinishedBackups(ctx);
  const b = ctx.state.backups.get(r.params['b'] ?? '');
  if (!b || b.vmId !== vm.id) throw notFound();
  return b;
}

/** GET /vms/{vm}/backups: unfinished ones and finished ones until the cleanup. */
export function listBackups(ctx: EngineContext, r: ApiRequest): Reply {
  const vm = vmOf(ctx, r);
  purgeFinishedBackups(ctx);
  return ok(collection('backup', [...ctx.state.backups.values()].filter((b) => b.vmId === vm.id).map((b) => backupJson(ctx, b))));
}

/** GET /vms/{vm}/backups/{b}. */
export function getBackup(ctx: EngineContext, r: ApiRequest): Reply {
  return ok(backupJson(ctx, backupOf(ctx, r, vmOf(ctx, r))));
}

/** GET /vms/{vm}/backups/{b}/disks: the disks with their `backup_mode`, without links. */
export function listBackupDisks(ctx: EngineContext, r: ApiRequest): Reply {
  const b = backupOf(ctx, r, vmOf(ctx, r));
  const disks = b.diskIds.flatMap((id) => ctx.state.disks.get(id) ?? []);
  return ok(collection('disk', disks.map((d) => backupDiskJson(ctx, d, b.backupModes.get(d.id) ?? null))));
}

/** POST /vms/{vm}/backups/{b}/finalize (StopVmBackupCommand, §7). */
export async function finalizeBackup(ctx: EngineContext, r: ApiRequest): Promise<Reply> {
  await r.json();
  const vm = vmOf(ctx, r);
  const b = backupOf(ctx, r, vm);
  if (hasActiveTransfer(ctx, b)) throw operationFailed(409, 'Cannot stop VM backup. There is an active image transfer for VM backup');
  const step = b.step.toUpperCase();
  if (!isUnfinished(b) || b.step === 'finalizing' || b.step === 'finalizing_failure' || b.step === 'removing_snapshot') {
    throw operationFailed(400, `VM '${vm.name}' backup '${b.id}' is already in '${step}' phase, no need to stop the backup again`);
  }
  b.modifiedAt = ctx.now();
  if (b.mode === 'hybrid') {
    if (b.stopped) throw operationFailed(400, `VM '${vm.name}' backup '${b.id}' is already stopped, no need to stop the backup again`);
    b.stopped = true;
    return ok({ status: 'complete' });
  }
  if (b.step !== 'ready') {
    b.step = 'finalizing_failure';
    throw operationFailed(400, `Backup '${b.id}' is in '${step}' phase, premature backup stop was initiated.`);
  }
  b.step = 'finalizing';
  return ok({ status: 'complete' });
}
