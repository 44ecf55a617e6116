/**
 * Virtual machines over REST: the list (with `follow=disk_attachments` from 4.2 on, as
 * the real engine's `follow` parameter), one VM, and a VM's disk attachments, which is how a client
 * learns which VM a disk belongs to. A disk attachment's id is the disk's id, as on the real engine.
 * Attaching a disk (POST diskattachments, AttachDiskToVmCommand) is how a restore ends.
 */
import { API, type EngineContext } from './context.js';
import { ApiError, incompleteParameters, inputBool, inputEnum, inputRef, notFound, ok, operationFailed, type ApiRequest, type Reply } from './http-util.js';
import { bool, collection, links, ref } from './json.js';
import { versionAtLeast, vmHostId, type VmRecord } from './model.js';

type Json = Record<string, unknown>;

function attachmentJson(vm: VmRecord, diskId: string, index: number): Json {
  return {
    ...ref(`vms/${vm.id}/diskattachments`, diskId),
    active: bool(true),
    bootable: bool(index === 0),
    interface: 'virtio_scsi',
    pass_discard: bool(false),
    read_only: bool(false),
    uses_scsi_reservation: bool(false),
    disk: ref('disks', diskId),
    vm: ref('vms', vm.id),
  };
}

function attachmentsJson(vm: VmRecord): Json {
  return collection('disk_attachment', vm.diskIds.map((id, i) => attachmentJson(vm, id, i)));
}

function vmJson(ctx: EngineContext, vm: VmRecord, follow: boolean): Json {
  const href = `${API}/vms/${vm.id}`;
  const host = vmHostId(ctx.state, vm);
  return {
    ...ref('vms', vm.id),
    name: vm.name,
    status: vm.status,
    ...(host !== null ? { host: ref('hosts', host) } : {}),
    link: links(href, ['diskattachments', 'nics', 'snapshots', 'backups', 'checkpoints']),
    ...(follow ? { disk_attachments: attachmentsJson(vm) } : {}),
  };
}

/** GET /vms; `follow=disk_attachments` inlines each VM's attachments (4.2 and later). */
export function listVms(ctx: EngineContext, r: ApiRequest): Reply {
  const follow = versionAtLeast(ctx.version, '4.3') && (r.query.get('follow') ?? '').split(',').includes('disk_attachments');
  return ok(collection('vm', [...ctx.state.vms.values()].map((vm) => vmJson(ctx, vm, follow))));
}

/** The VM of a `vms/:id/…` route; the REST layer answers 404 with a fault for an unknown VM. */
export function vmOf(ctx: EngineContext, r: ApiRequest): VmRecord {
  const id = r.params['id'] ?? '';
  const vm = ctx.state.vms.get(id);
  if (!vm) throw new ApiError(404, { reason: 'Operation Failed', detail: `Entity not found: ${id}` });
  return vm;
}

/** GET /vms/{id}: 404 with an empty body when unknown. */
export function getVm(ctx: EngineContext, r: ApiRequest): Reply {
  const vm = ctx.state.vms.get(r.params['id'] ?? '');
  if (!vm) throw notFound();
  return ok(vmJson(ctx, vm, false));
}

/** GET /vms/{id}/diskattachments. */
export function listVmDiskAttachments(ctx: EngineContext, r: ApiRequest): Reply {
  const vm = ctx.state.vms.get(r.params['id'] ?? '');
  if (!vm) throw notFound();
  return ok(attachmentsJson(vm));
}

const ATTACH_FAIL = 'Cannot attach Virtual Disk.';

/**
 * POST /vms/{id}/diskattachments `{disk: {id}, interface, bootable?, active?}` (AttachDiskToVm): 201
 * with the attachment. `interface` is mandatory; the disk must exist, be ok and not attached already
 * (a disk here is never shareable). Wordings not found in the sources follow the engine's style.
 */
export async function addVmDiskAttachment(ctx: EngineContext, r: ApiRequest): Promise<Reply> {
  const vm = vmOf(ctx, r);
  const body = await r.json();
  const diskId = inputRef(body['disk'])?.id;
  const iface = inputEnum(body['interface'], 'DiskInterface', ['virtio', 'virtio_scsi', 'sata', 'ide', 'spapr_vscsi']);
  if (diskId === undefined || iface === undefined) throw incompleteParameters('DiskAttachment', [...(diskId === undefined ? ['disk.id'] : []), ...(iface === undefined ? ['interface'] : [])]);
  inputBool(body['bootable'], 'bootable');
  inputBool(body['active'], 'active');
  const disk = ctx.state.disks.get(diskId);
  if (!disk) throw operationFailed(404, `Entity not found: ${diskId}`);
  if (vm.diskIds.includes(diskId)) throw operationFailed(409, `${ATTACH_FAIL} The disk is already attached to VM ${vm.name}.`);
  const other = [...ctx.state.vms.values()].find((m) => m.diskIds.includes(diskId));
  if (other) throw operationFailed(409, `${ATTACH_FAIL} The disk ${disk.name} is not shareable and is already attached to VM ${other.name}.`);
  if (disk.status !== 'ok') throw operationFailed(409, `${ATTACH_FAIL} Disk ${disk.name} is ${disk.status === 'locked' ? 'locked' : 'illegal'}. Please try again in a few minutes.`);
  vm.diskIds.push(diskId);
  return { status: 201, body: attachmentJson(vm, diskId, vm.diskIds.length - 1), headers: { location: `https://${String(r.headers.host)}${API}/vms/${vm.id}/diskattachments/${diskId}` } };
}
