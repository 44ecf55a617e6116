/** Schemas and types of the transfer payloads (`transfers:*`). */
import { z } from 'zod';
import {
  DiskFormatSchema,
  ErrorInfoSchema,
  ExistingFilePolicySchema,
  IdSchema,
  LocalImageFormatSchema,
  OutputFormatSchema,
  PathSchema,
  StartModeSchema,
  TransferDirectionSchema,
  TransferProgressSchema,
  TransferStateSchema,
  type Infer,
} from './common.js';
import { BackupJobViewSchema } from './backups.js';

export type StartMode = Infer<typeof StartModeSchema>;
/** Disk names as the engine accepts them (no control characters). */
// eslint-disable-next-line no-control-regex
const DiskNameSchema = z.string().trim().min(1).max(255).regex(/^[^\u0000-\u001f]+$/, 'no control characters');

/** `transfers:planUploads`: local paths (from a drop or the open dialog). */
export const PlanUploadsRequestSchema = z.strictObject({ paths: z.array(PathSchema).min(1).max(1000) });
export type PlanUploadsRequest = Infer<typeof PlanUploadsRequestSchema>;

/** One probed file of an upload plan. */
export const UploadPlanItemSchema = z.object({
  path: z.string(),
  fileName: z.string(),
  /** Detected format; null when the file could not be probed (see problem). */
  format: LocalImageFormatSchema.nullable(),
  /** Guest size = the new disk's provisioned size; null when unknown. */
  virtualSize: z.number().nullable(),
  fileSize: z.number().nullable(),
  /** Suggested disk name (the file name without its extension). */
  diskName: z.string(),
  /** Suggested disk format: cow for qcow2, raw otherwise (always raw for ISO). */
  diskFormat: DiskFormatSchema,
  /** Why this file cannot be uploaded, in words with the fix; null when it can. */
  problem: ErrorInfoSchema.nullable(),
  /**
   * Disks the selected engine already has with the suggested name (oVirt allows duplicates, which
   * are hard to tell apart later); null when not checked (no engine connected, a very large plan).
   */
  sameNameDisks: z.number().int().nonnegative().nullable(),
  /** Named .iso but without the ISO 9660 signature: it goes up as the format found (raw), and the sheet says so. */
  notIso: z.boolean(),
  /**
   * The room the new disk takes on a storage domain, by the choices that change it (the engine's
   * rules: a preallocated disk its virtual size, a thin one its data, cow with its qcow2 overhead):
   * one entry per disk format × preallocated × block storage. Compare with the domain's `room`.
   * Empty when the file could not be probed.
   */
  spaceNeeded: z.array(z.object({ diskFormat: DiskFormatSchema, preallocated: z.boolean(), isBlock: z.boolean(), bytes: z.number().nonnegative() })),
});
export type UploadPlanItem = Infer<typeof UploadPlanItemSchema>;
/** One entry of `UploadPlanItem.spaceNeeded`. */
export type SpaceNeed = UploadPlanItem['spaceNeeded'][number];

/** `transfers:planUploads` answer: the sheet the user confirms. */
export const UploadPlanSchema = z.object({
  items: z.array(UploadPlanItemSchema),
  /** Suggested target: the storage domain last used on this engine (check it against the list). */
  storageDomainId: z.string().nullable(),
});
export type UploadPlan = Infer<typeof UploadPlanSchema>;

/** `transfers:planDownloads`: the folder the download plan would write into. */
export const PlanDownloadsRequestSchema = z.strictObject({ folder: PathSchema });
export type PlanDownloadsRequest = Infer<typeof PlanDownloadsRequestSchema>;

/**
 * `transfers:planDownloads` answer: what the folder's file system can hold, for the plan sheet to
 * say before the downloads start (the window words it: "exFAT cannot hold sparse files…").
 */
export const DownloadPlanSchema = z.object({
  /** The file system's name as the user knows it ("NTFS", "APFS", "exFAT", "SMB share"); null when unknown. */
  fileSystem: z.string().nullable(),
  /** false: a raw download takes its whole virtual size there (FAT, exFAT, HFS+, SMB shares), and that is what the free-space check counts. */
  sparse: z.boolean(),
  /** A network file system ("may not keep holes" rather than "cannot"). */
  network: z.boolean(),
  /** Bytes free there; null when unknown (no such folder yet, or the system cannot tell). */
  freeBytes: z.number().nonnegative().nullable(),
});
export type DownloadPlan = Infer<typeof DownloadPlanSchema>;

/** `transfers:addUploads`: the confirmed plan; the jobs go to the queue of the selected engine. */
export const AddUploadsRequestSchema = z.strictObject({
  /**
   * One confirmed upload each. `diskFormat` default: the plan's suggestion. `preallocated`: allocate
   * the whole disk now (implied for raw on block storage and ISO); default false.
   */
  items: z
    .array(
      z.strictObject({
        path: PathSchema,
        storageDomainId: IdSchema,
        diskName: DiskNameSchema,
        diskFormat: DiskFormatSchema.optional(),
        preallocated: z.boolean().optional(),
      }),
    )
    .min(1)
    .max(1000),
  /** Default `now`. */
  start: StartModeSchema.optional(),
});
export type AddUploadsRequest = Infer<typeof AddUploadsRequestSchema>;
/** One confirmed upload. */
export type UploadJobRequest = AddUploadsRequest['items'][number];

/**
 * `transfers:addDownloads`. `nameTemplate` placeholders: `{disk}` disk name, `{id}` disk id,
 * `{ext}` raw|qcow2, `{vm}` VM name (empty when the engine does not say; separators around it
 * collapse), `{date}` YYYY-MM-DD. Unsafe characters are replaced.
 */
export const AddDownloadsRequestSchema = z.strictObject({
  diskIds: z.array(IdSchema).min(1).max(1000),
  /** An absolute folder path. */
  folder: PathSchema,
  /** `qcow2` writes a sparse qcow2 v3 file. */
  format: OutputFormatSchema,
  /** Default `{disk}.{ext}`. */
  nameTemplate: z.string().trim().min(1).max(255).optional(),
  existing: ExistingFilePolicySchema,
  /** Default `now`. */
  start: StartModeSchema.optional(),
});
export type AddDownloadsRequest = Infer<typeof AddDownloadsRequestSchema>;

/** Why a row of a confirmed plan was left out while the others were queued. */
export const SkippedReasonSchema = z.enum([
  /** An unfinished transfer in the queue already does this (same file, domain and disk name; same disk and file). */
  'in-queue',
  /** An earlier row of the same plan does the same. */
  'in-plan',
  /** The file exists and the policy is `skip`. */
  'exists',
]);
export type SkippedReason = Infer<typeof SkippedReasonSchema>;

/**
 * `transfers:retarget`: send a failed, cancelled or waiting transfer elsewhere (checked by the same
 * rules as a new one); a failed or cancelled one then runs again, a waiting one keeps its turn.
 */
export const RetargetRequestSchema = z.strictObject({
  id: IdSchema,
  target: z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('upload'),
      storageDomainId: IdSchema,
      diskName: DiskNameSchema,
      diskFormat: DiskFormatSchema.optional(),
      preallocated: z.boolean().optional(),
    }),
    z.strictObject({
      kind: z.literal('download'),
      /** An absolute folder path. */
      folder: PathSchema,
      /** The file name in it (no folder part). */
      fileName: z.string().trim().min(1).max(255),
    }),
  ]),
});
export type RetargetRequest = Infer<typeof RetargetRequestSchema>;

/** A request naming one transfer. */
export const TransferIdRequestSchema = z.strictObject({ id: IdSchema });
export type TransferIdRequest = Infer<typeof TransferIdRequestSchema>;

/** `transfers:move`: reorder the queue. */
export const MoveTransferRequestSchema = z.strictObject({ id: IdSchema, to: z.enum(['top', 'up', 'down', 'bottom']) });
export type MoveTransferRequest = Infer<typeof MoveTransferRequestSchema>;

/**
 * What `transfers:act` does to each transfer it names. `startNow`: no longer wait for the schedule
 * window (that transfer only); `top`/`bottom`: move the transfers there, keeping their order.
 */
export const TransferActionSchema = z.enum(['pause', 'resume', 'cancel', 'retry', 'remove', 'startNow', 'top', 'bottom']);
export type TransferAction = Infer<typeof TransferActionSchema>;

/** `transfers:act`: one action on many transfers (a selection, or every one it applies to), up to 1,000 a call. */
export const ActOnTransfersRequestSchema = z.strictObject({
  ids: z.array(IdSchema).min(1).max(1000),
  action: TransferActionSchema,
});
export type ActOnTransfersRequest = Infer<typeof ActOnTransfersRequestSchema>;

/** `transfers:act` answer: which were done, and why the others were not (each its own error). */
export const ActOnTransfersResultSchema = z.object({
  done: z.array(z.string()),
  skipped: z.array(z.object({ id: z.string(), error: ErrorInfoSchema })),
});
export type ActOnTransfersResult = Infer<typeof ActOnTransfersResultSchema>;

/** A report's file format: RFC 4180 CSV, or the JSON the CLI's queue keeps. */
export const ReportFormatSchema = z.enum(['csv', 'json']);
export type ReportFormat = Infer<typeof ReportFormatSchema>;

/** `transfers:report` and `transfers:saveReport`: the report of the finished transfers (all, or those named). */
export const ReportRequestSchema = z.strictObject({
  format: ReportFormatSchema,
  ids: z.array(IdSchema).min(1).max(1000).optional(),
});
export type ReportRequest = Infer<typeof ReportRequestSchema>;

/** `transfers:report` answer: the file's suggested name and its text (a browser page saves it as a download). */
export const ReportFileSchema = z.object({ fileName: z.string(), mimeType: z.string(), content: z.string() });
export type ReportFile = Infer<typeof ReportFileSchema>;

/** `transfers:saveReport` answer: where it was written; null when the user cancelled the dialog. */
export const SavedReportSchema = z.object({ path: z.string().nullable() });
export type SavedReport = Infer<typeof SavedReportSchema>;

/** Which actions apply to a transfer now (computed in main, so the window need not know the rules). */
export const TransferActionsSchema = z.object({
  pause: z.boolean(),
  resume: z.boolean(),
  cancel: z.boolean(),
  retry: z.boolean(),
  remove: z.boolean(),
  /** A local file or folder exists to show. */
  reveal: z.boolean(),
  move: z.boolean(),
  /** It waits for the schedule window (or is paused while it would): `transfers:act` `startNow` starts it regardless. */
  startNow: z.boolean(),
  /** Its target can be changed (`transfers:retarget`): failed, cancelled, or waiting its turn. */
  retarget: z.boolean(),
});
export type TransferActions = Infer<typeof TransferActionsSchema>;

/**
 * The blkhash of the guest data (computed while it moved) against the data server's `/checksum`. A
 * mismatch fails the transfer (its `error` says so); here it either matched or was not compared.
 */
export const TransferChecksumSchema = z.object({
  /** `blake2b` (imageio's default, 256-bit digests), … */
  algorithm: z.string(),
  blockSize: z.number().int().positive(),
  /** Hex digests; null when not computed (verification off) or not asked (server without it). */
  local: z.string().nullable(),
  server: z.string().nullable(),
  /** true: they match; null: not compared (`note` says why). */
  verified: z.boolean().nullable(),
  /** One line: verified, or why not. */
  note: z.string(),
});
export type TransferChecksum = Infer<typeof TransferChecksumSchema>;

/** One transfer in the queue or history. */
export const TransferViewSchema = z.object({
  id: IdSchema,
  direction: TransferDirectionSchema,
  state: TransferStateSchema,
  engineId: z.string(),
  engineName: z.string(),
  /** Display name: the file name (upload) or the disk name (download). */
  name: z.string(),
  /** Upload: the source file. Download: the target file (it is written as `<path>.part` until done). */
  localPath: z.string(),
  /** Upload: known once the disk exists. Download: always. */
  diskId: z.string().nullable(),
  diskName: z.string(),
  /** Upload: the target domain. Download: null. */
  storageDomainName: z.string().nullable(),
  /** Upload: the file's format. Download: the output format. */
  localFormat: LocalImageFormatSchema.nullable(),
  diskFormat: DiskFormatSchema.nullable(),
  /** Upload: the whole disk allocated now (as asked; block storage and ISO may imply it). Download: null. */
  preallocated: z.boolean().nullable(),
  progress: TransferProgressSchema,
  /** The last error (state failed, or retrying after it); null otherwise. */
  error: ErrorInfoSchema.nullable(),
  /** Runs started, counting retries. */
  attempts: z.number().int().nonnegative(),
  start: StartModeSchema,
  /** Epoch ms. */
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  /** States entered, in order, with epoch ms (the details view's phase timeline). */
  timeline: z.array(z.object({ state: TransferStateSchema, at: z.number() })),
  /** Informational notes in words (e.g. "data-iscsi is block storage: the disk is preallocated."). */
  notes: z.array(z.string()),
  /** Cancelling (or a failure of) this upload deletes the disk on the engine: confirm first. */
  cancelDeletesDisk: z.boolean(),
  /** How the data was checked, once completed; null before (and for transfers that predate it). */
  checksum: TransferChecksumSchema.nullable(),
  /** An upload that restores a backup's disk (`backups:restore`): what it restores, and the VM it attaches to; null for other transfers. */
  restore: z
    .object({
      /** The backed-up disk's alias, and the VM and run it is from (null when a plain file is restored). */
      diskAlias: z.string().nullable(),
      vmName: z.string().nullable(),
      /** The run's start, epoch ms. */
      runStartedAt: z.number().nullable(),
      attachVmName: z.string().nullable(),
    })
    .nullable(),
  actions: TransferActionsSchema,
  /** A backup job (one row for the VM's disks): the VM, the kind, each disk's progress and result; null for other transfers. */
  backup: BackupJobViewSchema.nullable(),
});
export type TransferView = Infer<typeof TransferViewSchema>;

/** `transfers:addUploads` / `transfers:addDownloads` answer: what was queued and what was left out. */
export const AddTransfersResultSchema = z.object({
  queued: z.array(TransferViewSchema),
  /** Rows left out, each with the index of its item in the request, its name and why (in words too). */
  skipped: z.array(z.object({ index: z.number().int().nonnegative(), name: z.string(), reason: SkippedReasonSchema, message: z.string() })),
});
export type AddTransfersResult = Infer<typeof AddTransfersResultSchema>;

/** Totals for the status bar. */
export const TransfersSummarySchema = z.object({
  running: z.number().int().nonnegative(),
  /** queued + waiting + retrying + paused. */
  pending: z.number().int().nonnegative(),
  completed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  /** Sum of the running transfers' rates, bytes per second. */
  rate: z.number().nonnegative(),
});
export type TransfersSummary = Infer<typeof TransfersSummarySchema>;

const snapshotShape = {
  /** Increases with every snapshot; a window ignores one older than what it has. */
  seq: z.number().int().nonnegative(),
  /** Queue order (running and pending first, in order), then finished ones, newest first. */
  transfers: z.array(TransferViewSchema),
  summary: TransfersSummarySchema,
};

/** The whole queue and history: `transfers:list` answer. */
export const TransfersSnapshotSchema = z.object(snapshotShape);
export type TransfersSnapshot = Infer<typeof TransfersSnapshotSchema>;

/** What changed since the previous `transfers:changed` event to this window. */
export const TransfersDeltaSchema = z.object({
  kind: z.literal('delta'),
  /** The `seq` of the snapshot this delta applies to. */
  baseSeq: z.number().int().nonnegative(),
  seq: z.number().int().nonnegative(),
  /** Transfers that are new or differ from the previous event. */
  changed: z.array(TransferViewSchema),
  /** Every transfer's id in display order; an id missing here was removed. */
  order: z.array(z.string()),
  summary: TransfersSummarySchema,
});
export type TransfersDelta = Infer<typeof TransfersDeltaSchema>;

/**
 * `transfers:changed` payload. The first event a window gets after it connected or called
 * `transfers:list` is a whole snapshot; the following ones are deltas against the previous event.
 * A window applies a delta only when `baseSeq` is the `seq` it holds, and otherwise calls
 * `transfers:list` (after which a whole snapshot follows).
 */
export const TransfersChangeSchema = z.discriminatedUnion('kind', [z.object({ kind: z.literal('snapshot'), ...snapshotShape }), TransfersDeltaSchema]);
export type TransfersChange = Infer<typeof TransfersChangeSchema>;

/** `transfers:reveal` answer. */
export const RevealResultSchema = z.object({
  path: z.string(),
  /** The OS file manager showed it (Electron); false in the web host, which only returns the path. */
  shown: z.boolean(),
});
export type RevealResult = Infer<typeof RevealResultSchema>;
