/**
 * Plain, readonly data the engine REST client returns (reference/engine.md §3, §4). Sizes are bytes
 * as numbers (they fit in 2^53); a size the engine did not report is null, never -1.
 */
import type { StorageDomainStatus } from '../../../shared/model.js';

/** `product_info.version` of `GET /ovirt-engine/api`. */
export interface EngineVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
  readonly revision: number;
  /** `full_version`, e.g. "4.5.7-1.el9", or the four numbers joined when the engine omits it. */
  readonly full: string;
}

export type { StorageDomainStatus } from '../../../shared/model.js';

/** A storage domain with the status read from its data center. */
export interface StorageDomain {
  readonly id: string;
  readonly name: string;
  /** `data`, `iso`, `export`, …; only `data` domains take uploads. */
  readonly type: string;
  /** `storage.type`: `nfs`, `iscsi`, `fcp`, `glusterfs`, `posixfs`, `localfs`, … */
  readonly storageType: string | null;
  /** iSCSI and FC: raw disks cannot be sparse and sparse cow disks need an initial size. */
  readonly isBlock: boolean;
  readonly status: StorageDomainStatus;
  readonly available: number | null;
  readonly used: number | null;
  readonly committed: number | null;
  /** Bytes (the engine's `critical_space_action_blocker`, GiB): below this much free space the engine creates no disk; null when not said. */
  readonly criticalSpace: number | null;
  readonly dataCenterId: string | null;
}

/** Disk format on oVirt storage. */
export type DiskFormat = 'raw' | 'cow';

/** Disk status; a disk is usable only when `ok`. */
export type DiskStatus = 'ok' | 'locked' | 'illegal';

/** A disk as `GET /disks/{id}` describes it. */
export interface Disk {
  readonly id: string;
  /** `name`, or `alias` (the same engine field) when the engine gives only that. */
  readonly name: string;
  readonly description: string | null;
  /** Virtual size: the byte count of a raw download. */
  readonly provisionedSize: number | null;
  /** Allocated bytes of the active volume. */
  readonly actualSize: number | null;
  /** Actual size plus snapshots (4.2+). */
  readonly totalSize: number | null;
  readonly format: DiskFormat;
  readonly sparse: boolean;
  /** Null when the engine reports no status (direct LUN disks) or one this client does not know. */
  readonly status: DiskStatus | null;
  /** `data`, `iso`, …; null on engines before 4.2.1. */
  readonly contentType: string | null;
  /** `image` for transferable disks; `lun`, `cinder`, `managed_block_storage` otherwise. */
  readonly storageType: string | null;
  readonly storageDomainIds: readonly string[];
  /** `none` or `incremental` (4.3+), null when absent. */
  readonly backup: string | null;
  /** `qcow2_v2` / `qcow2_v3` for cow disks. */
  readonly qcowVersion: string | null;
}

/** Every ImageTransfer phase this client knows (reference/engine.md §4.3). */
export const TRANSFER_PHASES = [
  'unknown',
  'initializing',
  'transferring',
  'resuming',
  'paused_system',
  'paused_user',
  'cancelled',
  'cancelled_system',
  'cancelled_user',
  'finalizing_success',
  'finalizing_failure',
  'finalizing_cleanup',
  'finished_cleanup',
  'finished_success',
  'finished_failure',
] as const;

/** A known phase. */
export type KnownTransferPhase = (typeof TRANSFER_PHASES)[number];

/** A phase; strings from newer engines are kept as they are and treated as "not terminal". */
export type TransferPhase = KnownTransferPhase | (string & {});

/** Direction of an image transfer. */
export type TransferDirection = 'upload' | 'download';

/** What the engine does after `inactivity_timeout` idle seconds (4.4.5+). */
export type TimeoutPolicy = 'legacy' | 'pause' | 'cancel';

/** An image transfer as the engine reports it. */
export interface ImageTransfer {
  readonly id: string;
  readonly phase: TransferPhase;
  readonly direction: TransferDirection;
  /** `raw` (NBD backend, guest data) or `cow`; null when the engine does not report it (before 4.3). */
  readonly format: DiskFormat | null;
  /** Host imageio daemon URL (4.2+), only while the ticket exists. A secret: never log it. */
  readonly transferUrl: string | null;
  /** Engine imageio proxy URL, only while the ticket exists. A secret: never log it. */
  readonly proxyUrl: string | null;
  /** Engine 4.1: sent as `Authorization` to the proxy. A secret. */
  readonly signedTicket: string | null;
  /** The disk id (the engine reports it as `image.id`). */
  readonly diskId: string | null;
  /** The host that runs the transfer (`host.id`); absent where the engine does not say. */
  readonly hostId?: string | null;
  readonly active: boolean | null;
  readonly transferred: number | null;
  readonly inactivityTimeout: number | null;
  readonly timeoutPolicy: string | null;
}
