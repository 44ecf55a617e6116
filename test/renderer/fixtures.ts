/** Plain data builders for the renderer's unit tests (snapshots as main sends them). */
import type { DiskView, TransferView } from '../../shared/ipc.js';

/** A transfer view with sensible defaults. */
export function transfer(over: Partial<TransferView> & Pick<TransferView, 'id'>): TransferView {
  return {
    direction: 'download',
    state: 'queued',
    engineId: 'e1',
    engineName: 'lab',
    name: over.id,
    localPath: `/backups/${over.id}.raw`,
    diskId: `disk-${over.id}`,
    diskName: over.id,
    storageDomainName: null,
    localFormat: 'raw',
    diskFormat: 'raw',
    preallocated: null,
    progress: { state: over.state ?? 'queued', bytesDone: 0, bytesTotal: 1024, dataDone: 0, dataTotal: null, bytesOnWire: 0, rate: null, etaSeconds: null, elapsedMs: 0, connections: 0, viaProxy: null },
    error: null,
    attempts: 0,
    start: 'now',
    createdAt: 0,
    startedAt: null,
    finishedAt: null,
    timeline: [],
    notes: [],
    cancelDeletesDisk: false,
    restore: null,
    checksum: null,
    backup: null,
    actions: { pause: false, resume: false, cancel: true, retry: false, remove: false, reveal: false, move: true, startNow: false, retarget: true },
    ...over,
  };
}

/** A disk view with sensible defaults. */
export function disk(over: Partial<DiskView> & Pick<DiskView, 'id' | 'name'>): DiskView {
  return {
    description: null,
    provisionedSize: 1024,
    actualSize: 512,
    format: 'raw',
    sparse: true,
    status: 'ok',
    contentType: 'data',
    storageDomainIds: ['sd1'],
    storageDomainNames: ['data-nfs'],
    vmNames: [],
    runningVmNames: [],
    downloadable: true,
    ...over,
  };
}
