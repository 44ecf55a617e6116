/** Storage domains and disks of the selected engine, as the window shows them. */
import type { DiskQuery, DiskView, StorageDomainsRequest, StorageDomainView } from '../../shared/ipc.js';
import type { Disk, StorageDomain } from '../engine/ovirt/types.js';
import { vmNamesByDisk, type VmDisks } from '../engine/ovirt/vms.js';
import { acceptsUploads, uploadRoom } from '../engine/plan/upload-rules.js';
import type { EnginesService } from './engines-service.js';

/** Storage domain lists are reused for this long unless a refresh is asked. */
const DOMAIN_CACHE_MS = 5000;
const DEFAULT_MAX_DISKS = 500;


/** The window's view of a storage domain. */
export function storageDomainView(sd: StorageDomain): StorageDomainView {
  return {
    id: sd.id,
    name: sd.name,
    type: sd.type,
    storageType: sd.storageType,
    isBlock: sd.isBlock,
    status: sd.status,
    available: sd.available,
    used: sd.used,
    criticalSpace: sd.criticalSpace,
    room: uploadRoom(sd),
    acceptsUploads: acceptsUploads(sd),
  };
}

/** The VMs of each disk, all and those not down; null when the VMs could not be read. */
type VmsByDisk = { readonly all: ReadonlyMap<string, readonly string[]>; readonly running: ReadonlyMap<string, readonly string[]> } | null;

/** The window's view of a disk. */
export function diskView(d: Disk, domainNames: ReadonlyMap<string, string>, vms: VmsByDisk): DiskView {
  return {
    id: d.id,
    name: d.name,
    description: d.description,
    provisionedSize: d.provisionedSize,
    actualSize: d.actualSize,
    format: d.format,
    sparse: d.sparse,
    status: d.status,
    contentType: d.contentType,
    storageDomainIds: d.storageDomainIds,
    storageDomainNames: d.storageDomainIds.flatMap((id) => {
      const name = domainNames.get(id);
      return name === undefined ? [] : [name];
    }),
    vmNames: vms === null ? null : [...(vms.all.get(d.id) ?? [])],
    runningVmNames: vms === null ? null : [...(vms.running.get(d.id) ?? [])],
    downloadable: d.status === 'ok' && (d.storageType === null || d.storageType === 'image'),
  };
}

/** A bare word searches by name; anything with `=` (or a search keyword) passes through. */
export function diskSearch(search: string | undefined): string | undefined {
  const s = search?.trim();
  if (!s) return undefined;
  return /[=<>]|\b(and|or|sortby)\b/i.test(s) ? s : `name=${s}`;
}

/** See the file comment. */
export class CatalogService {
  private cache: { engineId: string; at: number; domains: StorageDomain[] } | null = null;
  /** The VM list being read now: callers of the same moment share it; none is kept once it is read. */
  private vmList: { engineId: string; vms: Promise<VmDisks[]> } | null = null;

  constructor(
    private readonly engines: EnginesService,
    private readonly now: () => number,
  ) {}

  /** Storage domains of the selected engine. */
  async storageDomains(request: StorageDomainsRequest = {}): Promise<StorageDomainView[]> {
    return (await this.domains(this.engines.selectedId(), request.refresh ?? false)).map(storageDomainView);
  }

  /** Disks of the selected engine. */
  async disks(query: DiskQuery = {}): Promise<DiskView[]> {
    const id = this.engines.selectedId();
    const client = await this.engines.connect(id);
    const search = diskSearch(query.search);
    const [disks, domains, vms] = await Promise.all([
      client.disks({ ...(search !== undefined ? { search } : {}), max: query.max ?? DEFAULT_MAX_DISKS }),
      this.domains(id, false).catch(() => [] as StorageDomain[]),
      // A user who may not list VMs still gets the disks, without VM names.
      this.vms(id).catch(() => null),
    ]);
    const names = new Map(domains.map((sd) => [sd.id, sd.name]));
    const byDisk = vms === null ? null : { all: vmNamesByDisk(vms), running: vmNamesByDisk(vms, true) };
    return disks.map((d) => diskView(d, names, byDisk));
  }

  /**
   * The engine's VMs. The window refreshes the disk list and the VM list together, and both read
   * the VMs (the disks' VM names, the VM view): a read already under way serves both. A finished
   * read is not kept, so a Refresh always asks the engine.
   */
  async vms(engineId: string): Promise<VmDisks[]> {
    const v = this.vmList;
    if (v && v.engineId === engineId) return v.vms;
    const entry = { engineId, vms: this.engines.connect(engineId).then((client) => client.vms()) };
    this.vmList = entry;
    const done = () => {
      if (this.vmList === entry) this.vmList = null;
    };
    entry.vms.then(done, done);
    return entry.vms;
  }

  /** The raw storage domains of an engine (cached a few seconds). */
  async domains(engineId: string, refresh: boolean): Promise<StorageDomain[]> {
    const c = this.cache;
    if (!refresh && c && c.engineId === engineId && this.now() - c.at < DOMAIN_CACHE_MS) return c.domains;
    const client = await this.engines.connect(engineId);
    const domains = await client.storageDomains();
    this.cache = { engineId, at: this.now(), domains };
    return domains;
  }
}
