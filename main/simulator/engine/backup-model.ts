/**
 * The model of the VM backup, checkpoint and snapshot APIs (reference/backup.md §2): plain records
 * the REST handlers, the backup phase machine and the tests read and change.
 */

/**
 * The engine's internal backup phase (VmBackupPhase); the REST `phase` is derived from it
 * (backupPhase in backup-json.ts), and error texts quote it in upper case.
 */
export type BackupStep =
  | 'initializing'
  | 'creating_scratch_disks'
  | 'adding_bitmaps'
  | 'waiting_for_bitmaps'
  | 'starting'
  | 'ready'
  | 'finalizing'
  | 'finalizing_failure'
  | 'removing_snapshot'
  | 'succeeded'
  | 'failed';

/** How the engine runs a backup (reference/backup.md §4). */
export type BackupMode = 'live' | 'cold' | 'hybrid';

/** One VM backup (vm_backups row plus its command state). */
export interface BackupRecord {
  readonly id: string;
  readonly vmId: string;
  readonly mode: BackupMode;
  readonly diskIds: readonly string[];
  readonly fromCheckpointId: string | null;
  /** The checkpoint this backup creates (null when it creates none); REST shows it from `ready` on. */
  toCheckpointId: string | null;
  readonly description: string | null;
  step: BackupStep;
  /** The VM's host for a live legacy backup (REST `host`, 4.4.4+); null otherwise. */
  readonly hostId: string | null;
  /** The temporary snapshot of a hybrid backup. */
  snapshotId: string | null;
  /** Hybrid finalize only sets this flag; the next tick acts on it. */
  stopped: boolean;
  /** Per disk: full or incremental, decided when the backup starts. */
  readonly backupModes: Map<string, 'full' | 'incremental'>;
  /** Per disk: the ImageStore key of its point-in-time export (filled when `ready`). */
  readonly exports: Map<string, string>;
  readonly createdAt: number;
  modifiedAt: number;
  finishedAt: number | null;
}

/** One checkpoint of a VM's linear chain. */
export interface CheckpointRecord {
  readonly id: string;
  readonly vmId: string;
  parentId: string | null;
  readonly createdAt: number;
  state: 'created' | 'invalid';
  readonly description: string | null;
  /** The qcow2 disks it covers (only those carry a bitmap). */
  readonly diskIds: readonly string[];
  /** Set while a DELETE runs. */
  removing: boolean;
}

/** One regular VM snapshot (the "Active VM" snapshot is implied by VmRecord.activeSnapshotId). */
export interface SnapshotRecord {
  readonly id: string;
  readonly vmId: string;
  readonly description: string;
  readonly persistMemory: boolean;
  status: 'ok' | 'locked';
  /** The disks it covers: each has a point-in-time volume tagged with this snapshot. */
  readonly diskIds: readonly string[];
  readonly createdAt: number;
  /** Set while a DELETE (live merge) runs. */
  removing: boolean;
}

/** A point-in-time volume of a disk: its bytes are an ImageStore image under the volume id. */
export interface VolumeRecord {
  readonly id: string;
  readonly diskId: string;
  readonly snapshotId: string;
  /** The volume below it, or null for the base. */
  parentId: string | null;
  readonly createdAt: number;
}
