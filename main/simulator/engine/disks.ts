/**
 * Disks (reference/engine.md §3.2–§3.5): add with the REST and engine validations, the locked → ok
 * lifecycle, list/search/get, and the asynchronous delete.
 */
import { randomUUID } from 'node:crypto';
import type { EngineContext } from './context.js';
import { API } from './context.js';
import {
  ApiError,
  incompleteParameters,
  inputBool,
  inputEnum,
  inputInt,
  inputRef,
  inputString,
  notFound,
  ok,
  operationFailed,
  type ApiRequest,
  type Reply,
} from './http-util.js';
import { collection, diskJson } from './json.js';
import { isBlockStorage, isFinishedPhase, versionAtLeast, type DiskRecord, type StorageDomainRecord, type TransferRecord } from './model.js';
import { applySearch, type SearchFields } from './search.js';

const GiB = 1024 ** 3;
/** MaxBlockDiskSizeInGibiBytes. */
const MAX_BLOCK_DISK_GIB = 8192;

/** The transfer currently holding a disk (any phase but finished), if any. */
export function activeTransferOf(ctx: EngineContext, diskId: string): TransferRecord | undefined {
  for (const t of ctx.state.transfers.values()) if (t.diskId === diskId && !isFinishedPhase(t.phase)) return t;
  return undefined;
}

/** The 409 for a locked disk: "being transferred" when a transfer holds it, else "disks are locked". */
export function diskLockedError(ctx: EngineContext, disk: DiskRecord, action: string): ApiError {
  if (activeTransferOf(ctx, disk.id)) return operationFailed(409, `Cannot ${action} Virtual Disk. Disk ${disk.name} is being transferred.`);
  return operationFailed(409, `Cannot ${action} Virtual Disk: The following disks are locked: ${disk.name}. Please try again in a few minutes.`);
}

/** ACTION_TYPE_FAILED_STORAGE_DOMAIN_STATUS_ILLEGAL2 (409). */
export function domainStatusError(sd: StorageDomainRecord, action: string): ApiError {
  const status = sd.status.charAt(0).toUpperCase() + sd.status.slice(1);
  return operationFailed(409, `Cannot ${action} Virtual Disk. The relevant Storage Domain's status is ${status}.`);
}

/** Removes a disk and its volume at once (RemoveDisk at the end of a failed upload). */
export async function removeDiskNow(ctx: EngineContext, diskId: string): Promise<void> {
  ctx.state.disks.delete(diskId);
  await ctx.images.delete(diskId);
}

/** The first `storage_domains.storage_domain[]` reference of a disk body. */
function domainRef(body: Record<string, unknown>): { id?: string; name?: string } | undefined {
  const sds = body['storage_domains'] as { storage_domain?: unknown[] } | undefined;
  return inputRef(Array.isArray(sds?.storage_domain) ? sds.storage_domain[0] : undefined);
}

function resolveDomain(ctx: EngineContext, ref: { id?: string; name?: string }): StorageDomainRecord {
  if (ref.id !== undefined) {
    const sd = ctx.state.storageDomains.get(ref.id);
    if (!sd) throw operationFailed(400, "Cannot add Virtual Disk. Storage Domain doesn't exist.");
    return sd;
  }
  // By name: resolved against all domains by the REST layer; an unknown name is a 404 with a fault.
  const sd = [...ctx.state.storageDomains.values()].find((s) => s.name === ref.name);
  if (!sd) throw new ApiError(404, { reason: 'Resource not found', detail: `Entity not found: ${ref.name}` });
  return sd;
}

/** ImagesHandler.checkImageConfiguration: the format/allocation/backup matrix per storage type. */
function configurationProblem(format: 'raw' | 'cow', sparse: boolean, backup: 'none' | 'incremental', sd: StorageDomainRecord): boolean {
  if (format === 'cow' && !sparse && backup !== 'incremental') return true;
  if (format === 'raw' && backup === 'incremental') return true;
  if (format === 'raw' && sparse && isBlockStorage(sd.storageType)) return true;
  return false;
}

/** POST /disks. */
export async function addDisk(ctx: EngineContext, r: ApiRequest): Promise<Reply> {
  const body = await r.json();
  const provisioned = inputInt(body['provisioned_size'] ?? body['size'], 'provisioned_size');
  const format = inputEnum(body['format'], 'DiskFormat', ['raw', 'cow'] as const);
  const sdRef = domainRef(body);
  const missing = [
    ...(provisioned === undefined ? ['provisionedSize'] : []),
    ...(format === undefined ? ['format'] : []),
    ...(sdRef === undefined ? ['storageDomains.storageDomain'] : []),
  ];
  if (provisioned === undefined || format === undefined || sdRef === undefined) throw incompleteParameters('Disk', missing);
  const sd = resolveDomain(ctx, sdRef);
  const v43 = versionAtLeast(ctx.version, '4.3');
  const sparse = inputBool(body['sparse'], 'sparse') ?? true;
  const initialSize = inputInt(body['initial_size'], 'initial_size') ?? null;
  const contentType = (v43 ? inputEnum(body['content_type'], 'DiskContentType', ['data', 'iso'] as const) : undefined) ?? 'data';
  const backup = (v43 ? inputEnum(body['backup'], 'DiskBackup', ['none', 'incremental'] as const) : undefined) ?? 'none';
  const requestedId = inputString(body['id']);
  const id = requestedId ?? randomUUID();

  if (provisioned <= 0) throw operationFailed(400, 'Cannot add Virtual Disk. Disk size must be greater than zero.');
  if (ctx.state.disks.has(id)) throw operationFailed(409, 'Cannot add Virtual Disk. The disk already exists.');
  if (sd.type !== 'data') throw operationFailed(400, `Cannot add Virtual Disk. Storage Domain ${sd.name} does not support this operation (type ${sd.type}).`);
  if (sd.status !== 'active') throw domainStatusError(sd, 'add');
  if (configurationProblem(format, sparse, backup, sd)) {
    const cfg = `${format.toUpperCase()} ${sparse ? 'Sparse' : 'Preallocated'} backup-${backup === 'incremental' ? 'Incremental' : 'None'}`;
    throw operationFailed(400, `Cannot add Virtual Disk. Disk configuration (${cfg}) is incompatible with the storage domain type.`);
  }
  if (isBlockStorage(sd.storageType) && provisioned > MAX_BLOCK_DISK_GIB * GiB) {
    throw operationFailed(400, `Cannot add Virtual Disk. Disk exceeds the maximum size of block storage disks (${MAX_BLOCK_DISK_GIB} GiB).`);
  }
  // Thresholds first (critical_space_action_blocker), then room for what the new volume allocates.
  const needed = sparse ? (isBlockStorage(sd.storageType) ? (initialSize ?? GiB) : 0) : provisioned;
  if (sd.availableGiB < sd.criticalSpaceActionBlocker || needed > sd.availableGiB * GiB) {
    throw operationFailed(409, `Cannot add Virtual Disk. Low disk space on Storage Domain ${sd.name}.`);
  }

  const name = inputString(body['name'] ?? body['alias']) ?? `disk-${id.slice(0, 8)}`;
  const disk: DiskRecord = {
    id,
    imageId: inputString(body['image_id']) ?? randomUUID(),
    name,
    description: inputString(body['description']) ?? '',
    format,
    sparse,
    provisionedSize: provisioned,
    initialSize,
    contentType,
    backup,
    status: 'locked',
    storageDomainId: sd.id,
    createdAt: ctx.now(),
    removing: false,
  };
  await ctx.images.create(id, provisioned);
  ctx.state.disks.set(id, disk);
  ctx.timers.after(ctx.timing.diskLockMs, () => {
    if (disk.status === 'locked' && !disk.removing && ctx.state.disks.get(id) === disk) disk.status = 'ok';
  });
  // The volume is created by an async vdsm task: 202 unless the client asks to wait (Expect: 201-created).
  const status = /201-created/i.test(String(r.headers['expect'] ?? '')) ? 201 : 202;
  return { status, body: diskJson(ctx, disk), headers: { location: `https://${String(r.headers.host)}${API}/disks/${id}` } };
}

function diskFields(ctx: EngineContext): SearchFields<DiskRecord> {
  return {
    name: (d) => d.name,
    alias: (d) => d.name,
    id: (d) => d.id,
    status: (d) => d.status,
    format: (d) => d.format,
    storage: (d) => ctx.state.storageDomains.get(d.storageDomainId)?.name,
    content_type: (d) => d.contentType,
    description: (d) => d.description,
  };
}

/** GET /disks (search, case_sensitive, max). */
export function listDisks(ctx: EngineContext, r: ApiRequest): Reply {
  const disks = applySearch([...ctx.state.disks.values()], r.query, diskFields(ctx));
  return ok(collection('disk', disks.map((d) => diskJson(ctx, d))));
}

/** GET /disks/{id}: 404 with an empty body when unknown. */
export function getDisk(ctx: EngineContext, r: ApiRequest): Reply {
  const disk = ctx.state.disks.get(r.params['id'] ?? '');
  if (!disk) throw notFound();
  return ok(diskJson(ctx, disk));
}

/** DELETE /disks/{id}: 409 when locked or transferring; else locked, then gone. */
export function deleteDisk(ctx: EngineContext, r: ApiRequest): Reply {
  const disk = ctx.state.disks.get(r.params['id'] ?? '');
  if (!disk) throw notFound();
  if (disk.status === 'locked' || activeTransferOf(ctx, disk.id)) throw diskLockedError(ctx, disk, 'remove');
  disk.status = 'locked';
  disk.removing = true;
  ctx.timers.after(ctx.timing.diskLockMs, async () => {
    if (ctx.state.disks.get(disk.id) === disk) await removeDiskNow(ctx, disk.id);
  });
  return { status: 200, body: null };
}
