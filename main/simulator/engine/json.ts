/**
 * Engine JSON output (reference/engine.md §2): no root wrapper, `{"disk": [...]}` collections and `{}`
 * when empty, integers and booleans as strings, lowercase enums, id/href/link/actions, epoch-ms dates.
 */
import { API, type EngineContext } from './context.js';
import {
  isBlockStorage,
  versionAtLeast,
  type DiskRecord,
  type HostRecord,
  type StorageDomainRecord,
  type TransferRecord,
} from './model.js';

const GiB = 1024 ** 3;

type Json = Record<string, unknown>;

/** An integer as the engine prints it: a string. */
export const int = (n: number): string => String(n);
/** A boolean as the engine prints it: "true"/"false". */
export const bool = (v: boolean): string => (v ? 'true' : 'false');

/** A reference to another entity: `{href, id}`. */
export function ref(collection: string, id: string): Json {
  return { href: `${API}/${collection}/${id}`, id };
}

/** Sub-collection links: `[{href, rel}]`. */
export function links(base: string, rels: readonly string[]): Json[] {
  return rels.map((rel) => ({ href: `${base}/${rel}`, rel }));
}

/** The `actions` element. */
export function actions(base: string, names: readonly string[]): Json {
  return { link: links(base, names) };
}

/** A collection: `{key: [...]}`, or `{}` when empty (the list stays null and NON_NULL drops it). */
export function collection(key: string, items: readonly unknown[]): Json {
  return items.length === 0 ? {} : { [key]: items };
}

/** Bytes committed to a domain's disks, in whole GiB as the engine stores it. */
function committedGiB(ctx: EngineContext, sd: StorageDomainRecord): number {
  let bytes = 0;
  for (const d of ctx.state.disks.values()) if (d.storageDomainId === sd.id) bytes += d.provisionedSize;
  return Math.ceil(bytes / GiB);
}

/**
 * A storage domain. At the top level the engine shows `status` only when it is `unattached`; under
 * /datacenters/{id}/storagedomains the real status is shown (reference/engine.md §3.1).
 */
export function storageDomainJson(ctx: EngineContext, sd: StorageDomainRecord, inDataCenter: boolean): Json {
  const href = `${API}/storagedomains/${sd.id}`;
  const block = isBlockStorage(sd.storageType);
  const storage: Json = block
    ? { type: sd.storageType, volume_group: { id: sd.path, logical_units: { logical_unit: [{ id: sd.path, address: sd.address, port: '3260', target: sd.address }] } } }
    : { address: sd.address, path: sd.path, type: sd.storageType, ...(sd.storageType === 'nfs' ? { nfs_version: 'auto' } : {}) };
  const json: Json = {
    available: int(sd.availableGiB * GiB),
    backup: bool(false),
    block_size: '512',
    committed: int(committedGiB(ctx, sd) * GiB),
    critical_space_action_blocker: int(sd.criticalSpaceActionBlocker),
    discard_after_delete: bool(false),
    external_status: 'ok',
    master: bool(sd.master),
    storage,
    storage_format: 'v5',
    supports_discard: bool(false),
    supports_discard_zeroes_data: bool(false),
    type: sd.type,
    used: int(sd.usedGiB * GiB),
    warning_low_space_indicator: int(sd.warningLowSpaceIndicator),
    wipe_after_delete: bool(false),
    ...(sd.dataCenterId ? { data_centers: { data_center: [ref('datacenters', sd.dataCenterId)] } } : {}),
    actions: actions(href, ['isattached', 'refreshluns', 'updateovfstore', 'reduceluns']),
    name: sd.name,
    description: sd.description,
    comment: '',
    href,
    id: sd.id,
    link: links(href, ['permissions', 'templates', 'vms', 'disks', 'storageconnections', 'disksnapshots', 'diskprofiles']),
  };
  if (inDataCenter && sd.dataCenterId) {
    json['status'] = sd.status;
    json['data_center'] = ref('datacenters', sd.dataCenterId);
    json['href'] = `${API}/datacenters/${sd.dataCenterId}/storagedomains/${sd.id}`;
  } else if (sd.status === 'unattached') {
    json['status'] = 'unattached';
  }
  return json;
}

/** Allocated bytes of a disk's active volume, as `actual_size` reports it. */
export function actualSize(ctx: EngineContext, disk: DiskRecord): number {
  const sd = ctx.state.storageDomains.get(disk.storageDomainId);
  if (!disk.sparse) return disk.provisionedSize;
  if (sd && isBlockStorage(sd.storageType)) return disk.initialSize ?? GiB;
  return ctx.images.get(disk.id)?.data.size ?? 0;
}

/** A disk, with the attributes of this engine version. */
export function diskJson(ctx: EngineContext, disk: DiskRecord): Json {
  const href = `${API}/disks/${disk.id}`;
  const actual = actualSize(ctx, disk);
  const json: Json = {
    actual_size: int(actual),
    alias: disk.name,
    ...(versionAtLeast(ctx.version, '4.3') ? { backup: disk.backup, content_type: disk.contentType, total_size: int(actual) } : {}),
    // Set when a backup starts (4.4.3+); a legacy backup's end clears it, a hybrid one keeps it.
    ...(disk.backupMode && versionAtLeast(ctx.version, '4.4') ? { backup_mode: disk.backupMode } : {}),
    format: disk.format,
    image_id: disk.imageId,
    propagate_errors: bool(false),
    provisioned_size: int(disk.provisionedSize),
    ...(disk.format === 'cow' ? { qcow_version: 'qcow2_v3' } : {}),
    shareable: bool(false),
    sparse: bool(disk.sparse),
    status: disk.status,
    storage_type: 'image',
    wipe_after_delete: bool(false),
    storage_domains: { storage_domain: [ref('storagedomains', disk.storageDomainId)] },
    actions: actions(href, ['export', 'reduce', 'copy', 'move', 'refreshlun', 'sparsify']),
    name: disk.name,
    description: disk.description,
    href,
    id: disk.id,
    link: links(href, ['permissions', 'disksnapshots', 'statistics']),
  };
  return json;
}

/** A host (only what a client may follow from a transfer). */
export function hostJson(host: HostRecord): Json {
  const href = `${API}/hosts/${host.id}`;
  return {
    address: host.address,
    status: host.status,
    type: 'rhel',
    name: host.name,
    href,
    id: host.id,
    link: links(href, ['nics', 'statistics', 'storage']),
  };
}

/** True while the daemon still holds the transfer's ticket: URLs are shown only then. */
export function hasTicket(ctx: EngineContext, t: TransferRecord): boolean {
  return ctx.daemon.tickets.get(t.ticketId) !== undefined;
}

/** An image transfer, with the attributes of this engine version (reference/engine.md §4.2, §6). */
export function transferJson(ctx: EngineContext, t: TransferRecord): Json {
  const href = `${API}/imagetransfers/${t.id}`;
  const v43 = versionAtLeast(ctx.version, '4.3');
  const v44 = versionAtLeast(ctx.version, '4.4');
  const ticket = hasTicket(ctx, t);
  const json: Json = {
    ...(v43 ? { active: bool(t.active) } : {}),
    direction: t.direction,
    ...(v43 ? { format: t.format, inactivity_timeout: int(t.inactivityTimeout) } : {}),
    phase: t.phase,
    ...(ticket ? { proxy_url: t.proxyUrl } : {}),
    ...(v44 ? { shallow: bool(t.shallow), timeout_policy: t.timeoutPolicy } : {}),
    ...(ticket && !v43 && t.signedTicket ? { signed_ticket: t.signedTicket } : {}),
    ...(ticket && v43 ? { transfer_url: t.transferUrl } : {}),
    ...(v43 && t.transferred !== null ? { transferred: int(t.transferred) } : {}),
    host: ref('hosts', t.hostId),
    image: { id: t.diskId },
    actions: actions(href, [...(v43 ? ['cancel'] : []), 'resume', 'pause', 'extend', 'finalize']), // cancel: 4.2.3+
    href,
    id: t.id,
  };
  return json;
}
