/**
 * Plain, readonly data of the VM backup, checkpoint and snapshot APIs (reference/backup.md §2) as
 * the engine client returns it. Dates are epoch ms; what the engine did not report is null.
 */
import type { DiskFormat } from './types.js';

/** A VM as `GET /vms/{id}` describes it. */
export interface Vm {
  readonly id: string;
  readonly name: string;
  /** `up`, `down`, `paused`, … in lowercase; null when absent. */
  readonly status: string | null;
  /** The host it runs on; null while down. */
  readonly hostId: string | null;
}

/** The REST backup phases (4.4.7+ adds succeeded and failed). */
export type BackupPhase = 'initializing' | 'starting' | 'ready' | 'finalizing' | 'succeeded' | 'failed' | (string & {});

/** A VM backup. */
export interface Backup {
  readonly id: string;
  readonly vmId: string | null;
  readonly phase: BackupPhase;
  readonly fromCheckpointId: string | null;
  /** The checkpoint this backup creates; shown from `ready` on, absent when none is created (raw disks only, 4.3). */
  readonly toCheckpointId: string | null;
  readonly description: string | null;
  readonly createdAt: number | null;
  readonly modifiedAt: number | null;
  /** The host of a live legacy backup. */
  readonly hostId: string | null;
  /** The temporary snapshot of a hybrid backup (4.5). */
  readonly snapshotId: string | null;
}

/** A disk of a backup: how it is backed up this time. */
export interface BackupDisk {
  readonly id: string;
  readonly name: string;
  readonly format: DiskFormat;
  readonly provisionedSize: number | null;
  /** `full` or `incremental` (4.4.3+); null on engines without per-disk modes (then: full). */
  readonly backupMode: 'full' | 'incremental' | null;
}

/** A checkpoint of a VM's chain. */
export interface Checkpoint {
  readonly id: string;
  /** Null on the root. */
  readonly parentId: string | null;
  readonly createdAt: number | null;
  /** `created` or `invalid` (4.4.7+); null before. */
  readonly state: string | null;
  readonly description: string | null;
}

/** A VM snapshot. */
export interface Snapshot {
  readonly id: string;
  readonly description: string | null;
  /** `ok`, `locked` or `in_preview`. */
  readonly status: string | null;
  /** `regular`, `active` (the running state), … */
  readonly type: string | null;
  readonly persistMemory: boolean | null;
  readonly createdAt: number | null;
}

/** One disk of a snapshot with its point-in-time volume (a disk-snapshot id, the transfer's `snapshot` target). */
export interface SnapshotDisk {
  readonly diskId: string;
  readonly volumeId: string;
  readonly name: string;
  readonly format: DiskFormat;
  readonly provisionedSize: number | null;
}

/** A volume of a disk's chain (`/disks/{id}/disksnapshots`, 4.4.3+). */
export interface DiskSnapshot {
  readonly volumeId: string;
  readonly diskId: string | null;
  readonly snapshotId: string | null;
  /** The volume below it; null for the base. */
  readonly parentId: string | null;
  readonly format: DiskFormat | null;
  readonly actualSize: number | null;
}
