/**
 * Read-only inventory: storage domains, the data center and its attached domains, hosts, and the API
 * root with product_info (reference/engine.md §3.1, §4.8).
 */
import { API, type EngineContext } from './context.js';
import { notFound, ok, type ApiRequest, type Reply } from './http-util.js';
import { bool, collection, diskJson, hostJson, links, storageDomainJson } from './json.js';
import type { DiskRecord, EngineVersion, HostRecord, StorageDomainRecord } from './model.js';
import { applySearch, type SearchFields } from './search.js';

/** product_info.version per personality: the last release of each line. */
const PRODUCT_VERSIONS: Readonly<Record<EngineVersion, { major: string; minor: string; build: string; revision: string; full_version: string }>> = {
  '4.1': { major: '4', minor: '1', build: '9', revision: '1', full_version: '4.1.9.1-1.el7' },
  '4.3': { major: '4', minor: '3', build: '11', revision: '4', full_version: '4.3.11.4-1.el7' },
  '4.4': { major: '4', minor: '4', build: '10', revision: '7', full_version: '4.4.10.7-1.el8' },
  '4.5': { major: '4', minor: '5', build: '7', revision: '0', full_version: '4.5.7-1.el9' },
};

/** GET /api: product_info and the top-level links. */
export function apiRoot(ctx: EngineContext): Reply {
  const v = PRODUCT_VERSIONS[ctx.version];
  return ok({
    product_info: { instance_id: ctx.state.dataCenter.id, name: 'oVirt Engine', vendor: 'ovirt.org', version: { ...v } },
    summary: {
      hosts: { active: String(ctx.state.hosts.size), total: String(ctx.state.hosts.size) },
      storage_domains: { active: String([...ctx.state.storageDomains.values()].filter((s) => s.status === 'active').length), total: String(ctx.state.storageDomains.size) },
      vms: { active: String([...ctx.state.vms.values()].filter((m) => m.status === 'up').length), total: String(ctx.state.vms.size) },
    },
    time: ctx.now(),
    link: links(API, ['clusters', 'datacenters', 'disks', 'hosts', 'imagetransfers', 'storagedomains', 'vms']),
  });
}

const SD_FIELDS: SearchFields<StorageDomainRecord> = {
  name: (s) => s.name,
  id: (s) => s.id,
  type: (s) => s.type,
  'storage.type': (s) => s.storageType,
  datacenter: (s) => (s.dataCenterId ? 'Default' : undefined),
};

function domain(ctx: EngineContext, id: string | undefined): StorageDomainRecord {
  const sd = id === undefined ? undefined : ctx.state.storageDomains.get(id);
  if (!sd) throw notFound();
  return sd;
}

/** GET /storagedomains (status only when unattached). */
export function listStorageDomains(ctx: EngineContext, r: ApiRequest): Reply {
  const all = applySearch([...ctx.state.storageDomains.values()], r.query, SD_FIELDS);
  return ok(collection('storage_domain', all.map((sd) => storageDomainJson(ctx, sd, false))));
}

/** GET /storagedomains/{id}. */
export function getStorageDomain(ctx: EngineContext, r: ApiRequest): Reply {
  return ok(storageDomainJson(ctx, domain(ctx, r.params['id']), false));
}

/** GET /storagedomains/{id}/disks. */
export function listDomainDisks(ctx: EngineContext, r: ApiRequest): Reply {
  const sd = domain(ctx, r.params['id']);
  const disks: DiskRecord[] = [...ctx.state.disks.values()].filter((d) => d.storageDomainId === sd.id);
  return ok(collection('disk', disks.map((d) => diskJson(ctx, d))));
}

function dataCenterJson(ctx: EngineContext): Record<string, unknown> {
  const dc = ctx.state.dataCenter;
  const href = `${API}/datacenters/${dc.id}`;
  return {
    local: bool(false),
    quota_mode: 'disabled',
    status: 'up',
    storage_format: 'v5',
    supported_versions: { version: [{ major: '4', minor: ctx.version.slice(2) }] },
    version: { major: '4', minor: ctx.version.slice(2) },
    name: dc.name,
    description: dc.description,
    href,
    id: dc.id,
    link: links(href, ['clusters', 'networks', 'permissions', 'quotas', 'qoss', 'iscsibonds', 'storagedomains']),
  };
}

function requireDataCenter(ctx: EngineContext, id: string | undefined): void {
  if (id !== ctx.state.dataCenter.id) throw notFound();
}

/** GET /datacenters (search: `name=`, `status=`, `storage.name=` / `storage=` any attached domain). */
export function listDataCenters(ctx: EngineContext, r: ApiRequest): Reply {
  const attachedNames = () => [...ctx.state.storageDomains.values()].filter((s) => s.dataCenterId === ctx.state.dataCenter.id).map((s) => s.name);
  const fields: SearchFields<null> = {
    name: () => ctx.state.dataCenter.name,
    id: () => ctx.state.dataCenter.id,
    status: () => 'up',
    storage: attachedNames,
    'storage.name': attachedNames,
  };
  return ok(collection('data_center', applySearch([null], r.query, fields).map(() => dataCenterJson(ctx))));
}

/** GET /datacenters/{id}. */
export function getDataCenter(ctx: EngineContext, r: ApiRequest): Reply {
  requireDataCenter(ctx, r.params['id']);
  return ok(dataCenterJson(ctx));
}

/** GET /datacenters/{id}/storagedomains: the attached domains with their real status. */
export function listDataCenterDomains(ctx: EngineContext, r: ApiRequest): Reply {
  requireDataCenter(ctx, r.params['id']);
  const attached = [...ctx.state.storageDomains.values()].filter((s) => s.dataCenterId === ctx.state.dataCenter.id);
  return ok(collection('storage_domain', attached.map((sd) => storageDomainJson(ctx, sd, true))));
}

/** GET /datacenters/{id}/storagedomains/{sd}. */
export function getDataCenterDomain(ctx: EngineContext, r: ApiRequest): Reply {
  requireDataCenter(ctx, r.params['id']);
  const sd = domain(ctx, r.params['sd']);
  if (sd.dataCenterId !== ctx.state.dataCenter.id) throw notFound();
  return ok(storageDomainJson(ctx, sd, true));
}

const HOST_FIELDS: SearchFields<HostRecord> = {
  name: (h) => h.name,
  id: (h) => h.id,
  status: (h) => h.status,
  address: (h) => h.address,
  datacenter: () => 'Default',
};

/** GET /hosts. */
export function listHosts(ctx: EngineContext, r: ApiRequest): Reply {
  return ok(collection('host', applySearch([...ctx.state.hosts.values()], r.query, HOST_FIELDS).map(hostJson)));
}

/** GET /hosts/{id}. */
export function getHost(ctx: EngineContext, r: ApiRequest): Reply {
  const host = ctx.state.hosts.get(r.params['id'] ?? '');
  if (!host) throw notFound();
  return ok(hostJson(host));
}
