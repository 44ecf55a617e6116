/**
 * A queued transfer as the queue keeps and persists it: what to move (an upload or a download),
 * where it stands (state, attempts, progress), what the engine created for it (disk and transfer
 * ids, saved the moment they exist so a crash leaves nothing unknown) and how it ended.
 * Plain data, parsed with a schema when read back from the store.
 */
import { z } from 'zod';
import { ErrorInfoSchema, TransferStateSchema } from '../../../shared/schemas/common.js';
import { RestoreOriginSchema, type RestoreOrigin } from '../backup/restore-job.js';
import { DiskFerryError } from '../errors.js';
import { DEFAULT_OUTPUT_FORMAT } from '../plan/download-rules.js';
import { defaultDiskName } from '../plan/upload-rules.js';
import { UploadTargetSchema, type UploadTarget } from '../plan/upload-target.js';

export { UploadTargetSchema, type UploadTarget };

/** What a download job fetches where. */
const DownloadTargetSchema = z.object({
  /** Disk id (or exact name when it was not resolved when queued). */
  disk: z.string().min(1),
  /** The disk's name when queued, for listings and reports. */
  diskName: z.string().nullable().default(null),
  /** The output folder the user chose (named after the disk unless `file` names it). */
  outputDir: z.string().min(1),
  /**
   * The exact file to write, inside `outputDir` or in folders a name template makes below it (made
   * when the download starts); absent = `<disk name>.<format>` in `outputDir`.
   */
  file: z.string().min(1).optional(),
  overwrite: z.boolean().optional(),
  /** Output format: sparse raw (the default, download-rules.ts) or qcow2. */
  format: z.enum(['raw', 'qcow2']).default(DEFAULT_OUTPUT_FORMAT),
  /** Compare checksums with the server before finalize (default true; needs imageio 2). */
  verify: z.boolean().optional(),
  /** The disk's virtual size when queued; a different size later means a different disk. */
  size: z.number().int().nonnegative().nullable().default(null),
});
/** What a download job fetches where, its defaults applied. */
export type DownloadTarget = z.infer<typeof DownloadTargetSchema>;
/** What a caller gives for a download job: the defaults may be left out. */
export type DownloadTargetInput = z.input<typeof DownloadTargetSchema>;

/** What a backup job backs up where (main/engine/backup/, docs/backup.md): one job for all the VM's disks. */
const BackupTargetSchema = z.object({
  /** The VM's id (resolved when queued) and its name then, for listings. */
  vmId: z.string().min(1),
  vmName: z.string(),
  /** The output folder; the VM's folder is made in it. */
  outputDir: z.string().min(1),
  mode: z.enum(['full', 'incremental', 'auto']).default('auto'),
  /** After a good run: keep this many full chains of the VM. */
  keep: z.number().int().min(1).optional(),
  removeCheckpoints: z.boolean().optional(),
  verify: z.boolean().optional(),
  /** Through a disk-only snapshot (snapshot-run.ts) instead of the backup API: asked, or an engine without checkpoints. */
  snapshot: z.boolean().optional(),
});
/** What a backup job backs up where, its defaults applied. */
export type BackupTarget = z.infer<typeof BackupTargetSchema>;

/** How a job ended well. */
const JobResultSchema = z.object({
  diskId: z.string(),
  diskName: z.string(),
  /** The downloaded file, for downloads. */
  path: z.string().nullable(),
  virtualSize: z.number().nonnegative(),
  /** Bytes of data in the image (holes and zero runs not counted). */
  dataBytes: z.number().nonnegative(),
  /** Bytes a resumed download already had from an earlier run. */
  resumedBytes: z.number().nonnegative(),
  /** Bytes that crossed the network in the successful run. */
  bytesOnWire: z.number().nonnegative(),
  /** A checksum of the result when the transfer computed one. */
  digest: z.string().nullable(),
  /** The comparison with the server's checksum (absent in jobs saved before it was recorded). */
  checksum: z
    .object({
      algorithm: z.string(),
      blockSize: z.number().int().positive(),
      server: z.string().nullable(),
      /** true: matched; null: not compared (`note` says why). A mismatch fails the job instead. */
      verified: z.boolean().nullable(),
      note: z.string(),
    })
    .optional(),
  /** A backup job's run: its kind and each disk's file (absent for other jobs and older records). */
  backup: z
    .object({
      kind: z.enum(['full', 'incremental', 'snapshot']),
      disks: z.array(z.object({ id: z.string(), alias: z.string(), virtualSize: z.number().nonnegative(), dataBytes: z.number().nonnegative(), mode: z.enum(['full', 'incremental', 'snapshot']) })),
    })
    .optional(),
});
/** How a job ended well. */
export type JobResult = z.infer<typeof JobResultSchema>;

/** The last progress of a job (persisted every few seconds while it runs). */
const JobProgressSchema = z.object({
  bytesDone: z.number().nonnegative(),
  bytesTotal: z.number().nonnegative().nullable(),
  bytesOnWire: z.number().nonnegative(),
  rate: z.number().nullable(),
  /** The data (not hole) bytes done and in all; absent in jobs saved before they were counted. */
  dataDone: z.number().nonnegative().optional(),
  dataTotal: z.number().nonnegative().nullable().optional(),
});
/** The last progress of a job. */
export type JobProgress = z.infer<typeof JobProgressSchema>;

const JobCommonSchema = z.object({
  id: z.string().min(1),
  /** Which engine the job talks to (a CLI profile name, an app engine id): per-engine limits and connections. */
  engine: z.string().min(1),
  /** A short name for listings: the file name or the disk name. */
  label: z.string(),
  /** The storage domain the job uses (per-domain limit); null when unknown. */
  storageDomainKey: z.string().nullable().default(null),
  /** Higher runs first; equal priorities run in queue order. */
  priority: z.number().int().default(0),
  /** `window`: runs only inside the schedule window (when there is one); `now`: whenever a slot is free. */
  start: z.enum(['now', 'window']).default('window'),
  /** Data connections for this transfer (1–8); null = the queue's default. */
  workers: z.number().int().min(1).max(8).nullable().default(null),
  state: TransferStateSchema,
  /** States entered, in order, with epoch ms (the last 50). */
  timeline: z.array(z.object({ state: TransferStateSchema, at: z.number() })).default([]),
  attempts: z.number().int().nonnegative(),
  /** Attempts cut short by a crash, a kill or a shutdown: they do not use up the job's retries. */
  interruptions: z.number().int().nonnegative().default(0),
  /** When a retrying job may run again (epoch ms). */
  nextAttemptAt: z.number().nullable(),
  /** The disk the engine created for an upload, or the disk a download reads. */
  diskId: z.string().nullable(),
  /** The engine transfer of the current or interrupted run. */
  transferId: z.string().nullable(),
  /** The run reached finalize: with the transfer gone and the disk ok after a crash, the upload is done. */
  finalizing: z.boolean().default(false),
  progress: JobProgressSchema,
  error: ErrorInfoSchema.nullable(),
  result: JobResultSchema.nullable(),
  /**
   * A download's result, saved after the engine finished its transfer and before the file took its
   * final name: a restart that finds the file accepts it with this (digest, data bytes).
   */
  finishedResult: JobResultSchema.nullable().default(null),
  notes: z.array(z.string()),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  /** Time spent in runs (not waiting), for the report's rate. */
  activeMs: z.number().nonnegative(),
  /** Set once the job appeared in a run report. */
  reportedAt: z.number().nullable(),
});

/** One job in the queue. */
export const QueueJobSchema = z.discriminatedUnion('kind', [
  /** An upload; with `restore`, the restore of a backup's disk (backup/restore-job.ts): compared with the backup and attached after the upload. */
  JobCommonSchema.extend({ kind: z.literal('upload'), upload: UploadTargetSchema, restore: RestoreOriginSchema.optional() }),
  JobCommonSchema.extend({ kind: z.literal('download'), download: DownloadTargetSchema }),
  JobCommonSchema.extend({ kind: z.literal('backup'), backup: BackupTargetSchema }),
]);
/** One job in the queue. */
export type QueueJob = z.infer<typeof QueueJobSchema>;

/**
 * What a caller gives to add a job; everything else starts at its default. `id` lets a host key its
 * own records by the job id (default: a new random id).
 */
export type NewJob = { readonly id?: string; readonly engine: string; readonly label?: string; readonly storageDomainKey?: string | null; readonly priority?: number; readonly start?: 'now' | 'window'; readonly workers?: number | null } & (
  | { readonly kind: 'upload'; readonly upload: UploadTarget; readonly restore?: RestoreOrigin }
  | { readonly kind: 'download'; readonly download: DownloadTargetInput }
  | { readonly kind: 'backup'; readonly backup: z.input<typeof BackupTargetSchema> }
);

/** A fresh job record for `spec`. */
export function createJob(spec: NewJob, id: string, now: number): QueueJob {
  const work: Work =
    spec.kind === 'upload'
      ? { kind: 'upload', upload: { ...spec.upload }, ...(spec.restore ? { restore: RestoreOriginSchema.parse(spec.restore) } : {}) }
      : spec.kind === 'download'
        ? { kind: 'download', download: downloadTarget(spec.download) }
        : { kind: 'backup', backup: BackupTargetSchema.parse(spec.backup) };
  const common = {
    id: spec.id ?? id,
    engine: spec.engine,
    label: spec.label ?? defaultLabel(work),
    storageDomainKey: spec.storageDomainKey ?? null,
    priority: spec.priority ?? 0,
    start: spec.start ?? 'window',
    workers: spec.workers ?? null,
    state: 'queued' as const,
    timeline: [{ state: 'queued' as const, at: now }],
    attempts: 0,
    interruptions: 0,
    nextAttemptAt: null,
    diskId: work.kind === 'download' && /^[0-9a-f-]{36}$/i.test(work.download.disk) ? work.download.disk : null,
    transferId: null,
    finalizing: false,
    progress: { bytesDone: 0, bytesTotal: work.kind === 'download' ? work.download.size : null, bytesOnWire: 0, rate: null },
    error: null,
    result: null,
    finishedResult: null,
    notes: [],
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    activeMs: 0,
    reportedAt: null,
  };
  return { ...common, ...work };
}

/** What a job moves, its defaults applied. */
type Work = { kind: 'upload'; upload: UploadTarget; restore?: RestoreOrigin } | { kind: 'download'; download: DownloadTarget } | { kind: 'backup'; backup: BackupTarget };

/** A download target with its defaults applied (the schema holds them); bad-input when it is not one. */
export function downloadTarget(input: DownloadTargetInput): DownloadTarget {
  const parsed = DownloadTargetSchema.safeParse(input);
  if (!parsed.success) throw new DiskFerryError('bad-input', `A download job is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`, { retryable: false });
  return parsed.data;
}

function defaultLabel(work: Work): string {
  if (work.kind === 'backup') return work.backup.vmName;
  if (work.kind === 'download') return work.download.diskName ?? work.download.disk;
  return work.upload.diskName ?? work.upload.path.split(/[/\\]/).pop() ?? work.upload.path;
}

/**
 * A restore whose upload reached finalize: its disk holds the backup's data and is kept whatever
 * happens to the job (recovery.ts checks the engine agrees); what is left is the attach, which a
 * retry does without sending the data again. Changing its target would upload a second disk.
 */
export function restoreUploaded(job: QueueJob): job is QueueJob & { kind: 'upload'; diskId: string } {
  return job.kind === 'upload' && job.restore !== undefined && job.finalizing && job.diskId !== null;
}

/** A key that is equal for two jobs that would do the same work (a second one would duplicate it). */
export function workKey(job: Pick<QueueJob, 'engine'> & Work): string {
  if (job.kind === 'backup') return `backup\u0000${job.engine}\u0000${job.backup.vmId}\u0000${job.backup.outputDir}`;
  if (job.kind === 'download') return `download\u0000${job.engine}\u0000${job.download.disk}\u0000${job.download.file ?? `${job.download.outputDir}\u0000${job.download.format}`}`;
  return `upload\u0000${job.engine}\u0000${job.upload.path}\u0000${job.upload.storageDomain}\u0000${job.upload.diskName ?? defaultDiskName(job.upload.path)}`;
}

/** The fields of a new job that do not depend on its kind. */
const newJobCommon = {
  id: z.string().min(1).optional(),
  engine: z.string().min(1),
  label: z.string().optional(),
  storageDomainKey: z.string().nullable().optional(),
  priority: z.number().int().optional(),
  start: z.enum(['now', 'window']).optional(),
  workers: z.number().int().min(1).max(8).nullable().optional(),
};

/** What a caller gives to add a job, as a schema (IPC payloads, the CLI's inbox files). */
export const NewJobSchema: z.ZodType<NewJob> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('upload'), ...newJobCommon, upload: UploadTargetSchema, restore: RestoreOriginSchema.optional() }),
  z.object({ kind: z.literal('download'), ...newJobCommon, download: DownloadTargetSchema }),
  z.object({ kind: z.literal('backup'), ...newJobCommon, backup: BackupTargetSchema }),
]);
