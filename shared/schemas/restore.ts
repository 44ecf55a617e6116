/**
 * Schemas and types of the backup history and restore payloads (`backups:list`, `backups:planRestore`,
 * `backups:restore`): a backup folder's runs per VM as main read them (the window never reads the
 * disk), and restores queued from a run. Backing up is in backups.ts.
 */
import { z } from 'zod';
import { BackupKindSchema } from './backups.js';
import { DiskFormatSchema, IdSchema, PathSchema, type Infer } from './common.js';
import { UploadPlanItemSchema } from './transfers.js';

/** Disk names as the engine accepts them (no control characters). */
// eslint-disable-next-line no-control-regex
const DiskNameSchema = z.string().trim().min(1).max(255).regex(/^[^\u0000-\u001f]+$/, 'no control characters');

/** `backups:list`: the backup folder to read; absent: the one remembered for the selected engine. A folder given is remembered. */
export const BackupsListRequestSchema = z.strictObject({ folder: PathSchema.optional() });
export type BackupsListRequest = Infer<typeof BackupsListRequestSchema>;

/** One disk of a run. */
export const BackupDiskViewSchema = z.object({
  id: z.string(),
  alias: z.string(),
  /** The disk's file, absolute. */
  file: z.string(),
  virtualSize: z.number().nonnegative(),
  /** Guest data this run fetched. */
  dataBytes: z.number().nonnegative(),
  mode: BackupKindSchema,
  /** The backup compared its data with the engine's checksum (a digest recorded). */
  verified: z.boolean(),
  /** The file is not there (moved or deleted): the run cannot be restored for this disk. */
  missing: z.boolean(),
});
export type BackupDiskView = Infer<typeof BackupDiskViewSchema>;

/**
 * One run of a VM, as its folder and manifest say. `state`: `finished` (a manifest and every file),
 * `unfinished` (no manifest: interrupted, or still running), `damaged` (a manifest that is not ours
 * or cannot be read, a disk file missing, or an incremental whose base run is gone).
 */
export const BackupRunViewSchema = z.object({
  /** The run folder's name (`20261206T221500Z-full`) and its path. */
  name: z.string(),
  path: z.string(),
  state: z.enum(['finished', 'unfinished', 'damaged']),
  kind: BackupKindSchema,
  /** Epoch ms: the manifest's, else the folder name's. */
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  /** The run it builds on (a sibling's name) and the full run its chain starts with; null for a full or snapshot run. */
  parentRun: z.string().nullable(),
  chainRoot: z.string().nullable(),
  disks: z.array(BackupDiskViewSchema),
  /** The manifest's notes (e.g. a fall back to a full backup). */
  notes: z.array(z.string()),
  /** Why the run is damaged, in words with what to do; null otherwise. */
  problem: z.string().nullable(),
  /** Whether Restore… applies (finished, with the files). */
  restorable: z.boolean(),
});
export type BackupRunView = Infer<typeof BackupRunViewSchema>;

/** A VM's runs, oldest first. */
export const BackupVmViewSchema = z.object({
  /** The VM folder's name and path. */
  folder: z.string(),
  path: z.string(),
  /** From the newest manifest; the id is null when no run has one. */
  vmId: z.string().nullable(),
  vmName: z.string(),
  runs: z.array(BackupRunViewSchema),
});
export type BackupVmView = Infer<typeof BackupVmViewSchema>;

/** `backups:list` answer. `folder` null: none chosen yet for this engine. */
export const BackupHistorySchema = z.object({ folder: z.string().nullable(), vms: z.array(BackupVmViewSchema) });
export type BackupHistory = Infer<typeof BackupHistorySchema>;

/** `backups:planRestore`: a run, and which of its disks (by id; absent: all). */
export const PlanRestoreRequestSchema = z.strictObject({ run: PathSchema, diskIds: z.array(IdSchema).min(1).max(64).optional() });
export type PlanRestoreRequest = Infer<typeof PlanRestoreRequestSchema>;

/** `backups:planRestore` answer: one upload plan row per disk (its room per choice, its default name), the VM the backup is of. */
export const RestorePlanViewSchema = z.object({
  run: z.string(),
  runName: z.string(),
  startedAt: z.number().nullable(),
  items: z.array(UploadPlanItemSchema.extend({ backupDiskId: z.string(), alias: z.string() })),
  /** The storage domain last used on this engine. */
  storageDomainId: z.string().nullable(),
  vm: z.object({ id: z.string(), name: z.string() }),
  /** The VM is still on the engine (the default to attach to). */
  vmPresent: z.boolean(),
});
export type RestorePlanView = Infer<typeof RestorePlanViewSchema>;

/** `backups:restore`: restore jobs queued on the selected engine, one per disk. */
export const RestoreRequestSchema = z.strictObject({
  run: PathSchema,
  storageDomainId: IdSchema,
  items: z.array(z.strictObject({ backupDiskId: IdSchema, diskName: DiskNameSchema, diskFormat: DiskFormatSchema.optional() })).min(1).max(64),
  /** Attach the new disks: to the VM the backup is of, to a VM named, or not. */
  attach: z.discriminatedUnion('kind', [z.strictObject({ kind: z.literal('source') }), z.strictObject({ kind: z.literal('vm'), name: z.string().trim().min(1).max(255) }), z.strictObject({ kind: z.literal('none') })]),
  /** Default `now`. */
  start: z.enum(['now', 'window']).optional(),
});
export type RestoreRequest = Infer<typeof RestoreRequestSchema>;
