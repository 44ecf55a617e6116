/**
 * The seeded data center: "Default", its storage domains (file, block, maintenance, full, ISO and an
 * unattached one), one host, two VMs and a few disks with deterministic content.
 */
import { createHash } from 'node:crypto';
import type { EngineContext } from './context.js';
import type { DataCenterRecord, DiskFormat, DiskRecord, StorageDomainRecord } from './model.js';
import { expectedBytes, seedContent, seedLayout, type SeedRun } from './seed-content.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** A stable UUID derived from a name, so seeded ids are the same on every start. */
export function seedId(name: string): string {
  const h = createHash('sha256').update(`diskferry-sim:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The seeded data center. */
export function seedDataCenter(): DataCenterRecord {
  return { id: seedId('dc:Default'), name: 'Default', description: 'The default Data Center' };
}

/** One seeded disk. */
export interface SeedDiskSpec {
  readonly name: string;
  readonly format: DiskFormat;
  readonly sparse: boolean;
  readonly provisionedSize: number;
  readonly storageDomain: string;
  readonly initialSize: number | null;
  /** About how many bytes of data the disk holds. */
  readonly dataBytes: number;
  /** The VM it is plugged into, if any. */
  readonly vm: { readonly name: string; readonly status: 'up' | 'down' } | null;
}

/** The seeded disks (about 235 MiB of data in all, generated when read: see seedDisks). */
export const SEED_DISKS: readonly SeedDiskSpec[] = [
  { name: 'fedora-40-root', format: 'raw', sparse: true, provisionedSize: 2 * GiB, storageDomain: 'data-nfs', initialSize: null, dataBytes: 192 * MiB, vm: null },
  { name: 'db01-disk0', format: 'cow', sparse: true, provisionedSize: GiB, storageDomain: 'data-iscsi', initialSize: 256 * MiB, dataBytes: 24 * MiB, vm: null },
  { name: 'web-01-disk1', format: 'raw', sparse: false, provisionedSize: 512 * MiB, storageDomain: 'data-nfs', initialSize: null, dataBytes: 12 * MiB, vm: { name: 'web-01', status: 'down' } },
  { name: 'empty-10g', format: 'cow', sparse: true, provisionedSize: 10 * GiB, storageDomain: 'data-nfs', initialSize: null, dataBytes: 0, vm: null },
  { name: 'vm-running-disk', format: 'raw', sparse: true, provisionedSize: GiB, storageDomain: 'data-nfs', initialSize: null, dataBytes: 6 * MiB, vm: { name: 'app-01', status: 'up' } },
];

function seedSpec(name: string): SeedDiskSpec {
  const spec = SEED_DISKS.find((d) => d.name === name);
  if (!spec) throw new Error(`No seeded disk named '${name}'`);
  return spec;
}

/** The data runs of a seeded disk. */
export function seedDiskRuns(name: string): SeedRun[] {
  const spec = seedSpec(name);
  return seedLayout(name, spec.provisionedSize, spec.dataBytes);
}

/** The bytes a seeded disk holds at [offset, offset+length) right after seeding (for tests). */
export function seedDiskBytes(name: string, offset: number, length: number): Buffer {
  return expectedBytes(name, seedDiskRuns(name), offset, length);
}

type DomainSeed = Omit<StorageDomainRecord, 'id' | 'dataCenterId' | 'description'> & { attached: boolean };

const DOMAINS: readonly DomainSeed[] = [
  { name: 'data-nfs', type: 'data', storageType: 'nfs', attached: true, status: 'active', master: true, availableGiB: 1536, usedGiB: 512, warningLowSpaceIndicator: 10, criticalSpaceActionBlocker: 5, address: 'nfs01.example.test', path: '/exports/data' },
  { name: 'data-iscsi', type: 'data', storageType: 'iscsi', attached: true, status: 'active', master: false, availableGiB: 900, usedGiB: 124, warningLowSpaceIndicator: 10, criticalSpaceActionBlocker: 5, address: 'iqn.2024-01.test.example:storage.lun1', path: 'vg-3f9a1c' },
  { name: 'data-maint', type: 'data', storageType: 'nfs', attached: true, status: 'maintenance', master: false, availableGiB: 200, usedGiB: 56, warningLowSpaceIndicator: 10, criticalSpaceActionBlocker: 5, address: 'nfs02.example.test', path: '/exports/maint' },
  { name: 'data-full', type: 'data', storageType: 'nfs', attached: true, status: 'active', master: false, availableGiB: 3, usedGiB: 497, warningLowSpaceIndicator: 10, criticalSpaceActionBlocker: 5, address: 'nfs03.example.test', path: '/exports/full' },
  { name: 'iso-old', type: 'iso', storageType: 'nfs', attached: true, status: 'active', master: false, availableGiB: 40, usedGiB: 10, warningLowSpaceIndicator: 10, criticalSpaceActionBlocker: 5, address: 'nfs01.example.test', path: '/exports/iso' },
  { name: 'data-spare', type: 'data', storageType: 'nfs', attached: false, status: 'unattached', master: false, availableGiB: 100, usedGiB: 0, warningLowSpaceIndicator: 10, criticalSpaceActionBlocker: 5, address: 'nfs04.example.test', path: '/exports/spare' },
];

/** The inventory without disks: storage domains and the host (always present). */
export function seedInventory(ctx: EngineContext): void {
  const { state } = ctx;
  for (const d of DOMAINS) {
    const { attached, ...rest } = d;
    const id = seedId(`sd:${d.name}`);
    state.storageDomains.set(id, { ...rest, id, description: '', dataCenterId: attached ? state.dataCenter.id : null });
  }
  const hostId = seedId('host:host-01');
  state.hosts.set(hostId, { id: hostId, name: 'host-01', address: '127.0.0.1', status: 'up' });
}

/** Creates the seeded disks, writes their data and plugs two of them into VMs. */
export async function seedDisks(ctx: EngineContext): Promise<void> {
  const { state } = ctx;

  for (const spec of SEED_DISKS) {
    const sd = [...state.storageDomains.values()].find((s) => s.name === spec.storageDomain)!;
    const disk: DiskRecord = {
      id: seedId(`disk:${spec.name}`),
      imageId: seedId(`image:${spec.name}`),
      name: spec.name,
      description: '',
      format: spec.format,
      sparse: spec.sparse,
      provisionedSize: spec.provisionedSize,
      initialSize: spec.initialSize,
      contentType: 'data',
      backup: 'none',
      status: 'ok',
      storageDomainId: sd.id,
      createdAt: ctx.now(),
      removing: false,
    };
    const image = await ctx.images.create(disk.id, disk.provisionedSize);
    // Generated on read, not written: the same bytes, without ~1.3 s of CPU per start (image-store.ts).
    const content = seedContent(spec.name);
    for (const run of seedDiskRuns(spec.name)) image.generate(run.start, run.start + run.length, content);
    state.disks.set(disk.id, disk);
    if (spec.vm) {
      const vmId = seedId(`vm:${spec.vm.name}`);
      const hostId = spec.vm.status === 'down' ? null : seedId('host:host-01');
      const vm = state.vms.get(vmId) ?? { id: vmId, name: spec.vm.name, status: spec.vm.status, diskIds: [], hostId, activeSnapshotId: seedId(`snapshot:${spec.vm.name}`) };
      vm.diskIds.push(disk.id);
      state.vms.set(vmId, vm);
    }
  }
}
