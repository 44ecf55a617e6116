/**
 * The simulated engine's in-memory model: plain records the REST handlers, the phase poller and the
 * tests read and change. Enum values are the lowercase REST spellings (reference/engine.md §2.3).
 */

import { randomUUID } from 'node:crypto';
import type { BackupRecord, CheckpointRecord, SnapshotRecord, VolumeRecord } from './backup-model.js';

export type { BackupRecord, BackupStep, CheckpointRecord, SnapshotRecord, VolumeRecord } from './backup-model.js';

/** The engine generations the simulator can impersonate (protocol.md §1; 4.4 for the legacy backup API). */
export type EngineVersion = '4.1' | '4.3' | '4.4' | '4.5';

/** Disk format: raw, or cow (qcow2). */
export type DiskFormat = 'raw' | 'cow';
/** Disk status (reference/engine.md §3.3). */
export type DiskStatus = 'ok' | 'locked' | 'illegal';
/** What a disk holds; `iso` for ISO images on data domains. */
export type DiskContentType = 'data' | 'iso';
/** Disk backup mode; `incremental` allows cow preallocated. */
export type DiskBackup = 'none' | 'incremental';
/** Storage domain role; only `data` takes uploads. */
export type StorageDomainType = 'data' | 'iso' | 'export';
/** Storage technology; iscsi and fcp are block storage. */
export type StorageType = 'nfs' | 'iscsi' | 'fcp' | 'glusterfs' | 'posixfs' | 'localfs';
/** Status inside the data center; `unattached` for a domain in no data center. */
export type StorageDomainStatus = 'active' | 'inactive' | 'maintenance' | 'locked' | 'unattached';
/** Transfer direction; upload is the default. */
export type TransferDirection = 'upload' | 'download';
/** What inactivity does to a transfer (4.4.5+). */
export type TimeoutPolicy = 'legacy' | 'pause' | 'cancel';
/** imageio backend the ticket points at: NBD (guest data, format=raw, 4.3+) or FILE (volume bytes). */
export type TransferBackend = 'nbd' | 'file';

/** ImageTransferPhase, REST spelling (reference/engine.md §4.3). */
export type TransferPhase =
  | 'initializing'
  | 'transferring'
  | 'resuming'
  | 'paused_system'
  | 'paused_user'
  | 'cancelled_system'
  | 'cancelled_user'
  | 'finalizing_success'
  | 'finalizing_failure'
  | 'finalizing_cleanup'
  | 'finished_cleanup'
  | 'finished_success'
  | 'finished_failure';

/** The two terminal phases (ImageTransferPhase.isFinished). */
export function isFinishedPhase(phase: TransferPhase): boolean {
  return phase === 'finished_success' || phase === 'finished_failure';
}

/** The one data center. */
export interface DataCenterRecord {
  readonly id: string;
  readonly name: string;
  readonly description: string;
}

/** A storage domain; sizes in GiB because that is what the engine stores. */
export interface StorageDomainRecord {
  readonly id: string;
  name: string;
  description: string;
  type: StorageDomainType;
  storageType: StorageType;
  /** The data center it is attached to, or null (then its status is `unattached`). */
  dataCenterId: string | null;
  status: StorageDomainStatus;
  master: boolean;
  availableGiB: number;
  usedGiB: number;
  warningLowSpaceIndicator: number;
  criticalSpaceActionBlocker: number;
  /** NFS export path or iSCSI target, for the `storage` element. */
  address: string;
  path: string;
}

/** A hypervisor host; transfers run on it. */
export interface HostRecord {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  status: 'up' | 'maintenance';
}

/** A virtual machine: its status, the host it runs on, its disks and its snapshot/checkpoint state. */
export interface VmRecord {
  readonly id: string;
  readonly name: string;
  /** `paused` exists so the backup API's "Up or Down" rule can be exercised. */
  status: 'up' | 'down' | 'paused';
  readonly diskIds: string[];
  /** The host it runs on while not down (absent: the first host that is up; see vmHostId). */
  hostId?: string | null;
  /** The id of its "Active VM" snapshot, changed by each snapshot (absent: made on first use; see activeSnapshotIdOf). */
  activeSnapshotId?: string;
}

/** A floating or attached image disk; its bytes live in the ImageStore under `id`. */
export interface DiskRecord {
  readonly id: string;
  /** The active volume id (also the id a `snapshot` transfer target may name); a snapshot gives it a new one. */
  imageId: string;
  name: string;
  description: string;
  format: DiskFormat;
  sparse: boolean;
  provisionedSize: number;
  /** initial_size as requested; on block storage a sparse cow volume (LV) is created at this size. */
  initialSize: number | null;
  contentType: DiskContentType;
  backup: DiskBackup;
  status: DiskStatus;
  storageDomainId: string;
  readonly createdAt: number;
  /** Set while a DELETE runs (the disk is locked, then gone). */
  removing: boolean;
  /** `backup_mode` (4.4.3+), set when a backup starts; cleared by a legacy backup's end, kept by hybrid. */
  backupMode?: 'full' | 'incremental' | null;
}

/** One image transfer (the engine's image_transfers row plus its command state). */
export interface TransferRecord {
  readonly id: string;
  readonly diskId: string;
  readonly direction: TransferDirection;
  readonly backend: TransferBackend;
  /** Echoed `format` (requested, else the disk's); absent on 4.1. */
  readonly format: DiskFormat;
  readonly inactivityTimeout: number;
  readonly timeoutPolicy: TimeoutPolicy;
  readonly shallow: boolean;
  readonly hostId: string;
  /** imageio ticket id (≠ transfer id), the same on the daemon and the proxy. */
  readonly ticketId: string;
  readonly ticketSize: number;
  /** The daemon's image URL, or one on a closed port under the transferUrlUnreachable fault. */
  readonly transferUrl: string;
  /** The proxy's image URL for the same ticket. */
  readonly proxyUrl: string;
  /** 4.1 only: the engine-signed ticket the legacy proxy wants in `Authorization`. */
  readonly signedTicket: string | null;
  /** True when the target was a disk snapshot (skips the running-VM check). */
  readonly viaSnapshot: boolean;
  /** The ImageStore key of the volume it reads or writes: the disk id (active volume), a snapshot volume or a backup export. */
  readonly imageKey: string;
  /** The backup it downloads through (no disk lock, no disk status change), or null. */
  readonly backupId: string | null;
  /** The ticket's `dirty` flag: an incremental disk of a backup with a from-checkpoint. */
  readonly dirty: boolean;
  phase: TransferPhase;
  /** Ticket stats as of the last engine poll. */
  active: boolean;
  transferred: number | null;
  /** Epoch ms of the last `extend` (or session start / resume): the 4.1 keep-alive clock. */
  lastUpdated: number;
  /** Ticket-clock seconds when the session (re)started: idle time counts from here at most. */
  sessionStartedAt: number;
  /** Consecutive polls of a fully read, inactive download ticket (auto-finalize). */
  idleCompletePolls: number;
  /** How many polls have run (drives the 1→2→4→8→10 s backoff). */
  polls: number;
  readonly createdAt: number;
  finishedAt: number | null;
}

/** An SSO access token and its engine session. */
export interface TokenRecord {
  readonly token: string;
  readonly user: string;
  /** Epoch ms of the last REST call: the session idles out 30 min after it. */
  lastUsed: number;
}

/** Everything the simulated engine knows. */
export interface EngineState {
  readonly version: EngineVersion;
  dataCenter: DataCenterRecord;
  readonly storageDomains: Map<string, StorageDomainRecord>;
  readonly hosts: Map<string, HostRecord>;
  readonly vms: Map<string, VmRecord>;
  readonly disks: Map<string, DiskRecord>;
  readonly transfers: Map<string, TransferRecord>;
  readonly tokens: Map<string, TokenRecord>;
  readonly backups: Map<string, BackupRecord>;
  readonly checkpoints: Map<string, CheckpointRecord>;
  readonly snapshots: Map<string, SnapshotRecord>;
  /** Point-in-time (non-active) volumes by volume id; a disk's active volume is the disk itself. */
  readonly volumes: Map<string, VolumeRecord>;
}

/** An empty engine (no data center content yet). */
export function emptyState(version: EngineVersion, dataCenter: DataCenterRecord): EngineState {
  return {
    version,
    dataCenter,
    storageDomains: new Map(),
    hosts: new Map(),
    vms: new Map(),
    disks: new Map(),
    transfers: new Map(),
    tokens: new Map(),
    backups: new Map(),
    checkpoints: new Map(),
    snapshots: new Map(),
    volumes: new Map(),
  };
}

/** The host a VM runs on, or null while it is down. */
export function vmHostId(state: EngineState, vm: VmRecord): string | null {
  if (vm.status === 'down') return null;
  return vm.hostId ?? [...state.hosts.values()].find((h) => h.status === 'up')?.id ?? null;
}

/** The id of a VM's "Active VM" snapshot (assigned on first use). */
export function activeSnapshotIdOf(vm: VmRecord): string {
  vm.activeSnapshotId ??= randomUUID();
  return vm.activeSnapshotId;
}

/** The storage types the engine treats as block storage (LVs: no raw sparse, initial_size matters). */
export function isBlockStorage(type: StorageType): boolean {
  return type === 'iscsi' || type === 'fcp';
}

/** True when `version` is at least `min` ('4.1' < '4.3' < '4.4' < '4.5'). */
export function versionAtLeast(version: EngineVersion, min: EngineVersion): boolean {
  return Number(version.slice(2)) >= Number(min.slice(2));
}
