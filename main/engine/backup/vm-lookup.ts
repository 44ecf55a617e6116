/**
 * The VM a backup names (by id or exact name) with the disks it backs up: every image disk attached
 * to it, in the engine's order. Direct LUNs and managed block disks cannot be backed up through the
 * backup API; they are left out and listed, so the user knows what the backup does not hold.
 */
import { DiskFerryError } from '../errors.js';
import type { OvirtClient } from '../ovirt/client.js';
import type { Disk } from '../ovirt/types.js';
import type { VmDisks } from '../ovirt/vms.js';

/** A VM and the disks a backup of it holds. */
export interface VmWithDisks {
  readonly id: string;
  readonly name: string;
  /** `up`, `down`, … (lowercase); null when the engine did not say. */
  readonly status: string | null;
  readonly disks: readonly Disk[];
  /** Attached disks a backup cannot hold (LUNs, managed block storage), by name. */
  readonly skipped: readonly string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Finds a VM in the engine's list by id or exact name; a name that several VMs share is refused. */
export function pickVm(vms: readonly VmDisks[], idOrName: string): VmDisks {
  const byId = UUID.test(idOrName) ? vms.find((v) => v.id.toLowerCase() === idOrName.toLowerCase()) : undefined;
  if (byId) return byId;
  const named = vms.filter((v) => v.name === idOrName);
  if (named.length === 1) return named[0]!;
  if (named.length > 1) throw new DiskFerryError('bad-input', `${named.length} VMs are named '${idOrName}'. Use the VM id instead (diskferry vms).`, { retryable: false });
  throw new DiskFerryError('not-found', `No VM '${idOrName}' on this engine. List them with diskferry vms.`, { retryable: false });
}

/** The VM and its disks (see the file comment). */
export async function resolveVm(client: OvirtClient, idOrName: string, signal?: AbortSignal): Promise<VmWithDisks> {
  const vm = pickVm(await client.vms({ ...(signal ? { signal } : {}) }), idOrName);
  return withDisks(vm, (id) => client.disk(id, signal));
}

/**
 * A listed VM with the disks a backup of it holds, each disk read with `disk` (one request each, or
 * a lookup in a list read once when many VMs are planned together).
 */
export async function withDisks(vm: VmDisks, disk: (id: string) => Promise<Disk | null>): Promise<VmWithDisks> {
  const disks: Disk[] = [];
  const skipped: string[] = [];
  for (const id of vm.diskIds) {
    const d = await disk(id);
    if (!d) continue; // detached since the list was read
    if (d.storageType !== null && d.storageType !== 'image') skipped.push(d.name);
    else disks.push(d);
  }
  return { id: vm.id, name: vm.name, status: vm.status, disks, skipped };
}
