/** Tones and i18n keys for connection and storage-domain states. Pure; tested. */
import type { ConnectionStatus, StorageDomainView } from '../../shared/ipc.js';

/** The dot colour of a connection state. */
export function connectionTone(status: ConnectionStatus): 'ok' | 'busy' | 'warn' | 'error' | 'off' {
  switch (status) {
    case 'connected':
      return 'ok';
    case 'connecting':
      return 'busy';
    case 'needs-password':
      return 'warn';
    case 'failed':
      return 'error';
    case 'disconnected':
      return 'off';
  }
}

/** The i18n key of a connection state. */
export function connectionKey(status: ConnectionStatus): string {
  return `connection.${status}`;
}

/** Why a storage domain does not take uploads, as an i18n key; null when it does. */
export function domainRefusalKey(d: Pick<StorageDomainView, 'acceptsUploads' | 'type' | 'status'>): string | null {
  if (d.acceptsUploads) return null;
  if (d.type !== 'data') return 'domain.refusal.notData';
  return 'domain.refusal.notActive';
}

/** The i18n key of a domain status (unknown statuses fall back to a generic word). */
export function domainStatusKey(status: StorageDomainView['status']): string {
  return `domain.status.${status}`;
}

/** Storage domains for the upload target list: usable ones first, then by name. */
export function uploadTargets(domains: readonly StorageDomainView[]): StorageDomainView[] {
  return [...domains].sort((a, b) => Number(b.acceptsUploads) - Number(a.acceptsUploads) || a.name.localeCompare(b.name));
}

/** The default upload target when none is remembered: the usable domain with the most free space. */
export function defaultUploadTarget(domains: readonly StorageDomainView[]): StorageDomainView | null {
  let best: StorageDomainView | null = null;
  for (const d of domains) if (d.acceptsUploads && (best === null || (d.available ?? -1) > (best.available ?? -1))) best = d;
  return best;
}
