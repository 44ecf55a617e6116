/**
 * Schemas and types of the VM and backup payloads (`vms:list`, `backups:plan`, `backups:add`): the
 * engine's VMs with their disks and the last backup in the backup folder, and the plan of a backup
 * (main/engine/backup/backup-plan.ts decides each VM's kind and why; docs/backup.md). The backup
 * history and restores from it are in restore.ts.
 */
import { z } from 'zod';
import { ErrorInfoSchema, IdSchema, PathSchema, StartModeSchema, type Infer } from './common.js';

/** The kind of a backup run, as its manifest says. */
export const BackupKindSchema = z.enum(['full', 'incremental', 'snapshot']);
export type BackupKind = Infer<typeof BackupKindSchema>;

/** What the user asks: every disk whole, from the last run's checkpoint, or incremental when it can. */
export const BackupModeSchema = z.enum(['full', 'incremental', 'auto']);
export type BackupMode = Infer<typeof BackupModeSchema>;

/** A disk of a VM as the VM list shows it. */
export const VmDiskViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  provisionedSize: z.number().nonnegative().nullable(),
  /** False for direct LUNs and managed block disks: a backup cannot hold them. */
  backupable: z.boolean(),
});
export type VmDiskView = Infer<typeof VmDiskViewSchema>;

/** The last finished backup run of a VM in the backup folder. */
export const LastBackupSchema = z.object({
  /** The run folder's name (`20261206T221500Z-full`). */
  run: z.string(),
  kind: BackupKindSchema,
  /** Epoch ms. */
  finishedAt: z.number(),
});
export type LastBackup = Infer<typeof LastBackupSchema>;

/** One VM of the selected engine. */
export const VmViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** `up`, `down`, `paused`, … as the engine says (lowercase); null when it did not say. */
  status: z.string().nullable(),
  disks: z.array(VmDiskViewSchema),
  /** Null: none in the backup folder (or no folder chosen yet). */
  lastBackup: LastBackupSchema.nullable(),
});
export type VmView = Infer<typeof VmViewSchema>;

/** `vms:list` answer: the VMs, and the folder their last backups were read from (the engine's remembered backup folder). */
export const VmListSchema = z.object({ vms: z.array(VmViewSchema), backupFolder: z.string().nullable() });
export type VmList = Infer<typeof VmListSchema>;

/** `backups:plan`: what a backup of these VMs into this folder would do. */
export const BackupPlanRequestSchema = z.strictObject({
  vmIds: z.array(IdSchema).min(1).max(500),
  folder: PathSchema,
  mode: BackupModeSchema,
  /** Through a disk-only snapshot instead of the backup API (forced on engines without checkpoints). */
  snapshot: z.boolean(),
});
export type BackupPlanRequest = Infer<typeof BackupPlanRequestSchema>;

/** Why a VM's run has its kind (backup-plan.ts `BackupKindReason`). */
export const BackupKindReasonSchema = z.enum(['asked-full', 'on-previous', 'no-previous', 'previous-without-checkpoint', 'snapshot-asked', 'snapshot-no-checkpoints']);
export type BackupKindReason = Infer<typeof BackupKindReasonSchema>;

/** Why a VM cannot be backed up as planned (its `error` says it in words). */
export const BackupRefusalSchema = z.enum([
  /** The engine has neither the backup API nor snapshots as guest data (before 4.3). */
  'no-backup-api',
  /** The folder is not an existing folder DiskFerry can write to. */
  'folder',
  /** An unfinished backup of this VM into this folder is in the queue. */
  'in-queue',
  /** Incremental asked, but the folder has no finished run with a checkpoint to build on; or a snapshot asked incremental. */
  'no-base',
  /** The VM has no disk a backup can hold. */
  'no-disks',
  /** The VM is no longer on the engine. */
  'not-found',
]);
export type BackupRefusal = Infer<typeof BackupRefusalSchema>;

/** One VM of a backup plan. */
export const BackupPlanItemSchema = z.object({
  vmId: z.string(),
  vmName: z.string(),
  status: z.string().nullable(),
  /** The disks the backup holds, with their sizes. */
  disks: z.array(z.object({ id: z.string(), name: z.string(), size: z.number().nonnegative().nullable() })),
  /** Attached disks a backup cannot hold, by name. */
  skipped: z.array(z.string()),
  /** Null when refused. */
  kind: BackupKindSchema.nullable(),
  reason: BackupKindReasonSchema.nullable(),
  /** The run an incremental one builds on. */
  parentRun: z.string().nullable(),
  refusal: BackupRefusalSchema.nullable(),
  error: ErrorInfoSchema.nullable(),
});
export type BackupPlanItem = Infer<typeof BackupPlanItemSchema>;

/** `backups:plan` answer. */
export const BackupPlanSchema = z.object({
  engineVersion: z.string(),
  /** The run goes through a snapshot; `forced`: the engine has no checkpoints, so it must. */
  snapshot: z.boolean(),
  snapshotForced: z.boolean(),
  items: z.array(BackupPlanItemSchema),
});
export type BackupPlan = Infer<typeof BackupPlanSchema>;

/** `backups:add`: the plan's request, and what the jobs do besides. Answers `AddTransfersResult` (refused VMs are left out and said). */
export const AddBackupsRequestSchema = BackupPlanRequestSchema.extend({
  /** After a good run keep this many full chains of each VM; null: keep all. */
  keep: z.number().int().min(1).max(1000).nullable(),
  start: StartModeSchema,
});
export type AddBackupsRequest = Infer<typeof AddBackupsRequestSchema>;

/** A backup job as the queue's row and details show it (`TransferView.backup`). */
export const BackupJobViewSchema = z.object({
  vmId: z.string(),
  vmName: z.string(),
  mode: BackupModeSchema,
  /** The kind the plan said, then the kind the run made (a refused checkpoint makes a full one). */
  kind: BackupKindSchema,
  /** The run folder once done. */
  runDir: z.string().nullable(),
  disks: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      size: z.number().nonnegative(),
      /** Guest bytes done of this disk (of its `size`). */
      bytesDone: z.number().nonnegative(),
      state: z.enum(['waiting', 'running', 'done', 'failed']),
      /** Once done: the data fetched and how (`incremental`: only the changes, on the last run's file). */
      dataBytes: z.number().nonnegative().nullable(),
      mode: BackupKindSchema.nullable(),
    }),
  ),
});
export type BackupJobView = Infer<typeof BackupJobViewSchema>;
