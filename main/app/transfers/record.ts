/**
 * What the app keeps of a transfer besides the engine queue's job (the display fields the window
 * shows and the job does not carry), the persisted document that holds both, and the window's view
 * of a job. The job (main/engine/queue/job.ts) is the truth for state, attempts, progress, errors
 * and times; the view maps it to the contract's `TransferView` with the same state words.
 */
import { z } from 'zod';
import type { BackupJobView, TransferActions, TransferView } from '../../../shared/ipc.js';
import type { TransferProgress } from '../../../shared/model.js';
import { defaultDiskName } from '../../engine/plan/upload-rules.js';
import type { RestoreOrigin } from '../../engine/backup/restore-job.js';
import type { QueueJob } from '../../engine/queue/job.js';
import { canRetarget } from '../../engine/queue/retarget.js';
import { isHoldable, isPending, isTerminal } from '../../engine/queue/states.js';

/** The app's display fields of one transfer, fixed when it is queued. */
export const TransferMetaSchema = z.object({
  direction: z.enum(['upload', 'download']),
  engineName: z.string(),
  /** The file name (upload) or the disk name (download). */
  name: z.string(),
  /** Upload: the source file. Download: the target file. */
  localPath: z.string(),
  diskName: z.string(),
  storageDomainName: z.string().nullable(),
  localFormat: z.enum(['raw', 'qcow2', 'iso']).nullable(),
  diskFormat: z.enum(['raw', 'cow']).nullable(),
  /** The image's guest size when queued (an upload's job learns it only when it runs). */
  bytesTotal: z.number().nonnegative().nullable(),
  /** Notes made when queued (the job adds its own). */
  notes: z.array(z.string()),
  /** A backup job: the kind its plan said and the VM's disks then, in the order the run takes them. */
  backup: z
    .object({
      kind: z.enum(['full', 'incremental', 'snapshot']),
      disks: z.array(z.object({ id: z.string(), name: z.string(), size: z.number().nonnegative() })),
    })
    .optional(),
});
/** The app's display fields of one transfer. */
export type TransferMeta = z.infer<typeof TransferMetaSchema>;

/** The persisted `transfers` document: the engine queue's document and the display fields by job id. */
export const AppTransfersDocumentSchema = z.object({
  version: z.literal(2),
  /** The engine queue's document (parsed by the queue itself). */
  queue: z.unknown(),
  meta: z.record(z.string(), TransferMetaSchema),
});

/** The live progress of a running job (what the transfer last reported), when it has a run. */
export type LiveProgress = TransferProgress | null;

/** Which actions apply now (the same rules the engine queue enforces). */
export function transferActions(job: QueueJob, meta: TransferMeta): TransferActions {
  const s = job.state;
  return {
    pause: isHoldable(s) || isPending(s),
    resume: s === 'paused',
    cancel: !isTerminal(s),
    retry: s === 'failed' || s === 'cancelled',
    remove: isTerminal(s),
    reveal: meta.direction === 'upload' || s === 'completed' || job.progress.bytesDone > 0 || job.startedAt !== null,
    move: isPending(s) || s === 'paused',
    startNow: job.start === 'window' && (isPending(s) || s === 'paused'),
    // A backup has no target to change: it is planned again with Back up….
    retarget: job.kind !== 'backup' && canRetarget(job),
  };
}

/** The progress the window shows: the run's own report while it runs, else what the job kept. */
function progressOf(job: QueueJob, meta: TransferMeta, live: LiveProgress): TransferProgress {
  const p = job.progress;
  const running = live !== null && !isTerminal(job.state);
  const bytesTotal = p.bytesTotal ?? meta.bytesTotal;
  // A completed job knows its data from its result, also when it ended before a progress with it was saved.
  const dataTotal = p.dataTotal ?? (job.state === 'completed' && job.result ? job.result.dataBytes : null);
  return {
    state: job.state,
    bytesDone: p.bytesDone,
    bytesTotal,
    dataDone: p.dataDone ?? ((p.dataTotal ?? null) === null && dataTotal !== null ? dataTotal : 0),
    dataTotal,
    bytesOnWire: p.bytesOnWire,
    // Only while data moves: the run's own figure (null while it cannot measure yet), never a stale one.
    rate: running && job.state === 'transferring' ? live.rate : null,
    etaSeconds: running && job.state === 'transferring' ? live.etaSeconds : null,
    elapsedMs: running ? live.elapsedMs : job.activeMs,
    connections: running ? live.connections : 0,
    viaProxy: running ? live.viaProxy : null,
  };
}

/** The window's view of a job. */
export function transferView(job: QueueJob, meta: TransferMeta, live: LiveProgress): TransferView {
  // A finished download's file; a finished backup's run folder (reveal shows it).
  const localPath = job.kind !== 'upload' && job.result?.path ? job.result.path : meta.localPath;
  return {
    id: job.id,
    direction: meta.direction,
    state: job.state,
    engineId: job.engine,
    engineName: meta.engineName,
    name: meta.name,
    localPath,
    diskId: job.diskId,
    diskName: job.result?.diskName ?? meta.diskName,
    storageDomainName: meta.storageDomainName,
    localFormat: meta.localFormat,
    diskFormat: meta.diskFormat,
    preallocated: job.kind === 'upload' ? (job.upload.preallocated ?? false) : null,
    progress: progressOf(job, meta, live),
    error: job.error,
    attempts: job.attempts,
    start: job.start,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    timeline: job.timeline,
    notes: [...meta.notes, ...job.notes],
    cancelDeletesDisk: meta.direction === 'upload' && !isTerminal(job.state),
    checksum: job.state === 'completed' && job.result?.checksum ? { ...job.result.checksum, local: job.result.digest } : null,
    restore: job.kind === 'upload' && job.restore ? restoreView(job.restore) : null,
    actions: transferActions(job, meta),
    backup: job.kind === 'backup' ? backupView(job, meta) : null,
  };
}

/** What a restore job restores, for its row ("Restore of disk x from <run time>"). */
function restoreView(r: RestoreOrigin): NonNullable<TransferView['restore']> {
  const at = r.runStartedAt === null ? NaN : Date.parse(r.runStartedAt);
  return { diskAlias: r.backupDisk?.alias ?? null, vmName: r.vm?.name ?? null, runStartedAt: Number.isNaN(at) ? null : at, attachVmName: r.attachVm?.name ?? null };
}

/**
 * A backup job's disks: the run takes them in the VM's order and its progress counts the disks
 * before the current one whole (backup-run.ts `totalOf`), so each disk's share follows from the
 * sizes the plan saw; once done, each disk's result is the manifest's.
 */
export function backupView(job: QueueJob & { kind: 'backup' }, meta: TransferMeta): BackupJobView {
  const b = job.backup;
  const result = job.state === 'completed' ? (job.result?.backup ?? null) : null;
  const base = { vmId: b.vmId, vmName: b.vmName, mode: b.mode, runDir: job.state === 'completed' ? (job.result?.path ?? null) : null };
  if (result)
    return { ...base, kind: result.kind, disks: result.disks.map((d) => ({ id: d.id, name: d.alias, size: d.virtualSize, bytesDone: d.virtualSize, state: 'done' as const, dataBytes: d.dataBytes, mode: d.mode })) };
  const planned = meta.backup?.disks ?? [];
  const running = job.startedAt !== null && !isTerminal(job.state) && !isPending(job.state) && job.state !== 'paused';
  const ended = job.state === 'failed' || job.state === 'cancelled';
  let offset = 0;
  let current = job.startedAt === null; // before its first run every disk waits
  const disks = planned.map((d) => {
    const done = Math.max(0, Math.min(d.size, job.progress.bytesDone - offset));
    offset += d.size;
    let state: BackupJobView['disks'][number]['state'] = 'waiting';
    if (!current) {
      if (job.progress.bytesDone >= offset && d.size > 0) state = 'done';
      else {
        current = true;
        state = running ? 'running' : ended ? 'failed' : 'waiting';
      }
    }
    return { id: d.id, name: d.name, size: d.size, bytesDone: done, state, dataBytes: null, mode: null };
  });
  return { ...base, kind: meta.backup?.kind ?? (b.snapshot ? 'snapshot' : b.mode === 'incremental' ? 'incremental' : 'full'), disks };
}

/** Display fields for a job the app did not queue itself (none should exist; a safe fallback). */
export function fallbackMeta(job: QueueJob): TransferMeta {
  if (job.kind === 'backup')
    return {
      direction: 'download',
      engineName: job.engine,
      name: job.label,
      localPath: job.backup.outputDir,
      diskName: job.backup.vmName,
      storageDomainName: null,
      localFormat: 'qcow2',
      diskFormat: null,
      bytesTotal: null,
      notes: [],
    };
  return job.kind === 'upload'
    ? {
        direction: 'upload',
        engineName: job.engine,
        name: job.upload.path.split(/[/\\]/).pop() ?? job.label,
        localPath: job.upload.path,
        diskName: job.upload.diskName ?? defaultDiskName(job.upload.path),
        storageDomainName: job.upload.storageDomain,
        localFormat: null,
        diskFormat: job.upload.diskFormat ?? null,
        bytesTotal: null,
        notes: [],
      }
    : {
        direction: 'download',
        engineName: job.engine,
        name: job.label,
        localPath: job.download.file ?? job.download.outputDir,
        diskName: job.download.diskName ?? job.label,
        storageDomainName: null,
        localFormat: job.download.format,
        diskFormat: null,
        bytesTotal: job.download.size,
        notes: [],
      };
}
