/**
 * Which VM each disk is attached to, for the catalog's "VM" column and the `{vm}` download file-name
 * placeholder. Engines from 4.2 inline each VM's disk attachments with `follow=disk_attachments`;
 * older ones are asked per VM (`/vms/{id}/diskattachments`). A disk attachment's id is the disk id.
 */
import { z } from 'zod';
import type { Log } from '../log.js';
import type { ApiCall } from './engine-connection.js';
import { parseCollection, parseWith } from './schemas.js';
import type { EngineVersion } from './types.js';
import { versionAtLeast } from './versions.js';

/** A VM with the ids of the disks attached to it. */
export interface VmDisks {
  readonly id: string;
  readonly name: string;
  /** `up`, `down`, … as the engine says (lowercase). */
  readonly status: string | null;
  readonly diskIds: readonly string[];
}

/** A REST GET bound to the connection and the caller's signal. */
type ApiGet = (c: Omit<ApiCall, 'signal'>) => Promise<unknown>;

const attachment = z.object({ id: z.string().min(1).optional(), disk: z.object({ id: z.string().min(1) }).nullish() });
const attachments = z
  .object({ disk_attachment: z.array(attachment).nullish() })
  .nullish()
  .transform((v) => (v?.disk_attachment ?? []).flatMap((a) => (a.disk?.id ?? a.id ?? null) ?? []));

const vmSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  status: z
    .string()
    .nullish()
    .transform((s) => s?.toLowerCase() ?? null),
  disk_attachments: attachments.optional(),
});

/** Reads every VM and its disks; `max` caps the VM list (the engine's `max`). */
export async function loadVmDisks(get: ApiGet, version: EngineVersion, log: Log, max?: number): Promise<VmDisks[]> {
  const follow = versionAtLeast(version, 4, 2);
  const json = await get({ method: 'GET', path: '/vms', query: { follow: follow ? 'disk_attachments' : undefined, max }, what: 'Listing the virtual machines' });
  const vms = parseCollection(json, 'vm', 'the VM list', (item) => parseWith(vmSchema, item, 'the VM list'), (err) => log.warn('skipping a VM the client cannot read', { error: err.message }));
  const out: VmDisks[] = [];
  for (const vm of vms) {
    let diskIds = vm.disk_attachments;
    if (diskIds === undefined) {
      // Old engine (or one that ignored `follow`): ask for this VM's attachments.
      const list = await get({ method: 'GET', path: `/vms/${encodeURIComponent(vm.id)}/diskattachments`, what: `Listing the disks of VM ${vm.name}`, allow404: true });
      diskIds = list === null ? [] : parseWith(attachments, list, `the disk list of VM ${vm.name}`);
    }
    out.push({ id: vm.id, name: vm.name, status: vm.status, diskIds });
  }
  return out;
}

/**
 * True for a VM the engine counts as not down (up, paused, migrating, suspended…): it refuses to
 * transfer the disks plugged into it (reference/engine.md §4.1). An unknown status counts as down.
 */
export function vmIsRunning(vm: Pick<VmDisks, 'status'>): boolean {
  return vm.status !== null && vm.status !== 'down';
}

/** Disk id → names of the VMs it is attached to (a shareable disk may have several), sorted; `running` keeps only VMs that are not down. */
export function vmNamesByDisk(vms: readonly VmDisks[], running = false): Map<string, string[]> {
  const byDisk = new Map<string, string[]>();
  for (const vm of vms) {
    if (running && !vmIsRunning(vm)) continue;
    for (const id of vm.diskIds) {
      const names = byDisk.get(id) ?? [];
      names.push(vm.name);
      byDisk.set(id, names);
    }
  }
  for (const names of byDisk.values()) names.sort((a, b) => a.localeCompare(b));
  return byDisk;
}
