/**
 * Control hooks that stand in for what happens inside and around VMs, which the REST API cannot do
 * here: make a VM from existing disks, start or stop it, and write into a disk as its running guest
 * would (so dirty bitmaps, snapshots and backups see changes). Used in-process by tests
 * (`sim.engine.vms`) and over the simulator's admin endpoint by other processes.
 */
import { randomUUID } from 'node:crypto';
import type { EngineContext } from './context.js';
import type { DiskRecord, VmRecord } from './model.js';

/** The VM and guest controls of a running engine simulator. */
export interface VmControls {
  /** Creates a VM with these disks (ids or names) plugged in; `up` runs it on the first host. */
  create(o: { name: string; status?: 'up' | 'down'; disks?: readonly string[] }): VmRecord;
  /** Starts (`up`), stops (`down`) or pauses a VM. */
  setStatus(vm: string, status: VmRecord['status']): VmRecord;
  /** Writes `data` at `offset` of a disk of a running VM, as its guest would. */
  write(disk: string, offset: number, data: Uint8Array): Promise<void>;
  /** Zeroes (discards) a range of a disk of a running VM, as its guest would. */
  zero(disk: string, offset: number, length: number): Promise<void>;
}

function findVm(ctx: EngineContext, idOrName: string): VmRecord {
  const vm = ctx.state.vms.get(idOrName) ?? [...ctx.state.vms.values()].find((v) => v.name === idOrName);
  if (!vm) throw new Error(`No VM '${idOrName}'. Known VMs: ${[...ctx.state.vms.values()].map((v) => v.name).join(', ') || 'none'}.`);
  return vm;
}

function findDisk(ctx: EngineContext, idOrName: string): DiskRecord {
  const disk = ctx.state.disks.get(idOrName) ?? [...ctx.state.disks.values()].find((d) => d.name === idOrName);
  if (!disk) throw new Error(`No disk '${idOrName}'.`);
  return disk;
}

/** The running VM a guest write goes through; refuses disks no running VM has. */
function guestTarget(ctx: EngineContext, idOrName: string, offset: number, length: number): DiskRecord {
  const disk = findDisk(ctx, idOrName);
  const vm = [...ctx.state.vms.values()].find((v) => v.diskIds.includes(disk.id));
  if (!vm || vm.status !== 'up') throw new Error(`Disk '${disk.name}' is not plugged into a running VM: only a running guest writes into it. Start ${vm ? `VM '${vm.name}'` : 'a VM with this disk'} first.`);
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > disk.provisionedSize) {
    throw new Error(`The range ${offset}+${length} is outside disk '${disk.name}' (${disk.provisionedSize} bytes).`);
  }
  return disk;
}

/** The controls bound to one engine. */
export function vmControls(ctx: EngineContext): VmControls {
  const firstHost = () => [...ctx.state.hosts.values()].find((h) => h.status === 'up')?.id ?? null;
  return {
    create(o) {
      if ([...ctx.state.vms.values()].some((v) => v.name === o.name)) throw new Error(`A VM named '${o.name}' exists already.`);
      const diskIds = (o.disks ?? []).map((d) => findDisk(ctx, d).id);
      const taken = diskIds.filter((id) => [...ctx.state.vms.values()].some((v) => v.diskIds.includes(id)));
      if (taken.length > 0) throw new Error(`Disk(s) ${taken.join(', ')} are attached to another VM already.`);
      const status = o.status ?? 'down';
      const vm: VmRecord = { id: randomUUID(), name: o.name, status, diskIds, hostId: status === 'down' ? null : firstHost(), activeSnapshotId: randomUUID() };
      ctx.state.vms.set(vm.id, vm);
      return vm;
    },
    setStatus(idOrName, status) {
      const vm = findVm(ctx, idOrName);
      vm.status = status;
      vm.hostId = status === 'down' ? null : (vm.hostId ?? firstHost());
      return vm;
    },
    async write(idOrName, offset, data) {
      const disk = guestTarget(ctx, idOrName, offset, data.length);
      await ctx.images.get(disk.id)?.write(offset, data);
    },
    async zero(idOrName, offset, length) {
      const disk = guestTarget(ctx, idOrName, offset, length);
      ctx.images.get(disk.id)?.zero(offset, length);
    },
  };
}
