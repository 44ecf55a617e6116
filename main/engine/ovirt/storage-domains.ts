/**
 * Storage domains with their real status. `/storagedomains` shows `status` only for unattached
 * domains; an attached domain's status exists only inside its data center, so it is read from
 * `/datacenters/{id}/storagedomains` (reference/engine.md §3.1).
 */
import { DiskFerryError } from '../errors.js';
import type { Log } from '../log.js';
import type { ApiCall } from './engine-connection.js';
import { parseCollection, parseStorageDomain } from './schemas.js';
import type { StorageDomain, StorageDomainStatus } from './types.js';

/** A REST GET, already bound to the connection and the caller's signal. */
export type ApiGet = (c: Omit<ApiCall, 'signal'>) => Promise<unknown>;

type Parsed = ReturnType<typeof parseStorageDomain>;

function plain(sd: Parsed, status: StorageDomainStatus): StorageDomain {
  return {
    id: sd.id,
    name: sd.name,
    type: sd.type,
    storageType: sd.storageType,
    isBlock: sd.isBlock,
    status,
    available: sd.available,
    used: sd.used,
    committed: sd.committed,
    criticalSpace: sd.criticalSpace,
    dataCenterId: sd.dataCenterId,
  };
}

/** Lists the domains and merges in the status from each data center they are attached to. */
export async function loadStorageDomains(get: ApiGet, log: Log): Promise<StorageDomain[]> {
  const skip = (err: DiskFerryError) => log.warn('skipping a storage domain the client cannot read', { error: err.message });
  const json = await get({ method: 'GET', path: '/storagedomains', what: 'Listing the storage domains' });
  const domains = parseCollection(json, 'storage_domain', 'the storage domain list', parseStorageDomain, skip);
  const dataCenters = new Set(domains.filter((sd) => sd.reportedStatus !== 'unattached' && sd.dataCenterId !== null).map((sd) => sd.dataCenterId!));
  const status = new Map<string, StorageDomainStatus>();
  for (const dc of dataCenters) {
    let inDc: Parsed[];
    try {
      const dcJson = await get({
        method: 'GET',
        path: `/datacenters/${encodeURIComponent(dc)}/storagedomains`,
        what: `Reading the storage domain status in data center ${dc}`,
      });
      inDc = parseCollection(dcJson, 'storage_domain', 'the data center storage domain list', parseStorageDomain, skip);
    } catch (err) {
      // A user role may see the domains but not the data center: the status stays unknown, the list stays usable.
      if (err instanceof DiskFerryError && (err.code === 'not-found' || err.status === 403)) {
        log.warn('cannot read the storage domain status of a data center', { dataCenter: dc, error: err.message });
        continue;
      }
      throw err;
    }
    for (const sd of inDc) if (sd.reportedStatus !== null) status.set(sd.id, sd.reportedStatus);
  }
  return domains.map((sd) => plain(sd, sd.reportedStatus === 'unattached' ? 'unattached' : (status.get(sd.id) ?? sd.reportedStatus ?? 'unknown')));
}
