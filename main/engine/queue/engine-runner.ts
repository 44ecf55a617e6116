/**
 * The real JobRunner: runs a job with uploadImage / downloadDisk on the engine it names, after
 * recovering what an interrupted attempt left there (recovery.ts).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { TransferProgress } from '../../../shared/model.js';
import { backupVm } from '../backup/backup-run.js';
import type { BackupManifest } from '../backup/manifest.js';
import { finishRestore, type RestoredUpload } from '../backup/restore-job.js';
import { pruneVmFolder } from '../backup/retention.js';
import { vmFolderName } from '../backup/set.js';
import { runSnapshotBackup } from '../backup/snapshot-run.js';
import { resolveVm } from '../backup/vm-lookup.js';
import { DiskFerryError } from '../errors.js';
import type { Disk } from '../ovirt/types.js';
import { localChecksum } from '../image/local-checksum.js';
import { PartFile } from '../transfer/part-file.js';
import type { TransferDeps, TransferTuning } from '../transfer/deps.js';
import { downloadPath } from '../plan/download-rules.js';
import { downloadDisk, resolveDisk, type DownloadResult, type FinishedDownload } from '../transfer/download-disk.js';
import { DEFAULT_ENGINE_TIMEOUT_MS } from '../transfer/deps.js';
import { uploadImage, type UploadResult } from '../transfer/upload-image.js';
import type { JobResult, QueueJob } from './job.js';
import { discardJob, recoverUpload, releaseDownload, uploadDescription } from './recovery.js';
import { moveOrDropPartial } from './retarget-local.js';
import type { JobRunner, RunContext } from './runner.js';

/** How the engine runner reaches engines. */
export interface EngineRunnerOptions {
  /**
   * The deps for the engine a job names (logged in). Called at the start of every attempt, so a host
   * caches connections itself; a failure to connect fails the attempt (network and 5xx retry).
   */
  readonly connect: (engine: string) => Promise<TransferDeps>;
  /** Tuning for every transfer (a job's own `workers` wins). */
  readonly tuning?: TransferTuning;
}

/** A JobRunner backed by the transfer engine. */
export function createEngineRunner(options: EngineRunnerOptions): JobRunner {
  const timeoutMs = options.tuning?.engineTimeoutMs ?? DEFAULT_ENGINE_TIMEOUT_MS;
  return {
    async run(job, ctx) {
      const deps = await options.connect(job.engine);
      const tuning: TransferTuning = { ...options.tuning, workers: job.workers ?? options.tuning?.workers };
      if (job.kind === 'backup') return runBackup(deps, job, ctx, tuning);
      return job.kind === 'upload' ? runUpload(deps, job, ctx, tuning, timeoutMs) : runDownload(deps, job, ctx, tuning, timeoutMs);
    },
    async discard(job, next) {
      const deps = await options.connect(job.engine).catch(() => null);
      if (!deps) return;
      await discardJob(deps, job, timeoutMs);
      if (next?.kind !== 'download' || job.kind !== 'download') return;
      const known = { id: job.diskId ?? job.download.disk, name: job.download.diskName ?? job.label };
      const disk = await resolveDisk(deps, job.diskId ?? job.download.disk, AbortSignal.timeout(timeoutMs)).catch(() => known);
      await moveOrDropPartial(deps, job, next, disk);
    },
  };
}

async function runUpload(deps: TransferDeps, job: QueueJob & { kind: 'upload' }, ctx: RunContext, tuning: TransferTuning, timeoutMs: number): Promise<JobResult> {
  const start = await recoverUpload(deps, job, ctx.control.cancelSignal, timeoutMs);
  if (start.kind === 'done') {
    ctx.note('The engine had finished this upload before DiskFerry stopped; nothing was sent again.');
    const result: JobResult = {
      diskId: start.disk.id,
      diskName: start.disk.name,
      path: null,
      virtualSize: start.disk.provisionedSize ?? job.progress.bytesTotal ?? 0,
      dataBytes: job.progress.bytesDone,
      resumedBytes: 0,
      bytesOnWire: 0,
      digest: null,
    };
    if (job.restore) await afterRestore(deps, job, ctx, { diskId: result.diskId, diskName: result.diskName, file: job.upload.path, digest: null, checksum: null });
    return result;
  }
  if (start.kind === 'fresh' && (job.diskId !== null || job.transferId !== null)) await ctx.remember({ diskId: null, transferId: null });
  if (start.kind === 'fresh' && start.why) ctx.note(`${start.why}: the upload started over on a new disk.`);
  if (start.kind === 'reattach' && start.transferId === null) await ctx.remember({ transferId: null });
  const r = await uploadImage(deps, { ...job.upload, description: uploadDescription(job) }, {
    control: ctx.control,
    tuning,
    onProgress: ctx.onProgress,
    throttle: ctx.throttle,
    onCreated: (ids) => ctx.remember(ids),
    reattach: start.kind === 'reattach' ? { diskId: start.diskId, transferId: start.transferId } : undefined,
  });
  if (start.kind === 'reattach') ctx.note(continuedNote(start.diskId, start.transferId, r));
  if (job.restore) {
    const c = r.report.checksum;
    await afterRestore(deps, job, ctx, { diskId: r.diskId, diskName: r.diskName, file: job.upload.path, digest: r.digest, checksum: { algorithm: c.algorithm, blockSize: c.blockSize } });
  }
  return { diskId: r.diskId, diskName: r.diskName, path: null, virtualSize: r.virtualSize, dataBytes: r.dataBytes, resumedBytes: r.resumedBytes, bytesOnWire: r.bytesOnWire, digest: r.digest, checksum: checksumOf(r) };
}

async function runDownload(deps: TransferDeps, job: QueueJob & { kind: 'download' }, ctx: RunContext, tuning: TransferTuning, timeoutMs: number): Promise<JobResult> {
  const signal = ctx.control.cancelSignal;
  await releaseDownload(deps, job, signal, timeoutMs);
  const disk = await resolveDisk(deps, job.diskId ?? job.download.disk, signal);
  // The journal of the partial file carries the disk id and size too, so a different disk never
  // continues it; saying so here explains why a long download started from zero.
  if (job.diskId !== null && disk.id !== job.diskId) throw new DiskFerryError('not-found', `Disk ${job.diskId} is gone from the engine.`, { retryable: false });
  if (job.download.size !== null && disk.provisionedSize !== null && disk.provisionedSize !== job.download.size)
    ctx.note(`Disk '${disk.name}' changed size since it was queued (${job.download.size} → ${disk.provisionedSize} bytes); any partial file is started over.`);
  if (job.diskId === null) await ctx.remember({ diskId: disk.id });
  const d = job.download;
  const output = d.file !== undefined ? { file: d.file } : { dir: d.outputDir };
  const earlier = await finishedEarlier(deps, job, disk, downloadPath(output, disk, d.format), signal);
  if (earlier) {
    ctx.note('An earlier run had finished this download before DiskFerry stopped; nothing was fetched again.');
    return earlier;
  }
  const r = await downloadDisk(
    deps,
    { disk: disk.id, output, ...(d.file !== undefined ? { root: d.outputDir } : {}), overwrite: d.overwrite ?? false, resume: true, format: d.format, verify: d.verify },
    {
      control: ctx.control,
      tuning,
      onProgress: ctx.onProgress,
      throttle: ctx.throttle,
      onCreated: (ids) => ctx.remember({ transferId: ids.transferId }),
      onFinishing: (f) => ctx.remember({ finishedResult: finishedResult(f) }),
    },
  );
  return {
    diskId: r.diskId,
    diskName: r.diskName,
    path: r.path,
    virtualSize: r.virtualSize,
    dataBytes: r.dataBytes,
    resumedBytes: r.resumedBytes,
    bytesOnWire: r.bytesOnWire,
    digest: r.digest,
    checksum: checksumOf(r),
  };
}

/**
 * A restore job's steps after its upload (backup/restore-job.ts): the backup's digest compared, the
 * disk attached once. The job's disk is known by now, so a failed attach leaves the restored disk, and
 * a retry (or the run after a crash) finds the upload done and only attaches.
 */
async function afterRestore(deps: TransferDeps, job: QueueJob & { kind: 'upload' }, ctx: RunContext, upload: RestoredUpload): Promise<void> {
  const origin = job.restore!;
  const r = await finishRestore(deps, origin, upload, { signal: ctx.control.cancelSignal, queued: true });
  if (r.matchesBackup) ctx.note(`The restored data matches the checksum the backup recorded for disk ${origin.backupDisk!.alias}.`);
  else if (origin.backupDisk && upload.digest === null) ctx.note('Not compared with the checksum the backup recorded: the engine finished the upload while DiskFerry was stopped (the upload itself was verified before finalize).');
  if (r.attachedTo) ctx.note(r.alreadyAttached ? `VM ${r.attachedTo.name} already had the restored disk attached; it was not attached again.` : `Attached to VM ${r.attachedTo.name}.`);
}

/**
 * A backup job: one backup of the VM, every disk in it; progress is the whole backup's. An attempt
 * that died is ended by the run itself first (its record in the VM folder), so a retry starts clean.
 */
async function runBackup(deps: TransferDeps, job: QueueJob & { kind: 'backup' }, ctx: RunContext, tuning: TransferTuning): Promise<JobResult> {
  const b = job.backup;
  if (b.snapshot) return runSnapshotJob(deps, job, ctx, tuning);
  const r = await backupVm(
    deps,
    { vm: b.vmId, outputDir: b.outputDir, mode: b.mode, ...(b.verify !== undefined ? { verify: b.verify } : {}), ...(b.keep !== undefined ? { keep: b.keep, removeCheckpoints: b.removeCheckpoints ?? false } : {}) },
    {
      control: ctx.control,
      tuning,
      throttle: ctx.throttle,
      onProgress: (p) => ctx.onProgress({ ...p.total, state: p.progress.state }),
      onNote: (note) => ctx.note(note),
      onCreated: (ids) => ctx.remember({ transferId: ids.transferId }),
    },
  );
  return backupResult(r.manifest, r.runDir, r.bytesOnWire);
}

/**
 * A snapshot backup job (snapshot-run.ts): a disk-only snapshot, each disk downloaded from it, the
 * snapshot always removed; retention as asked. Progress is summed over the disks in the VM's order.
 */
async function runSnapshotJob(deps: TransferDeps, job: QueueJob & { kind: 'backup' }, ctx: RunContext, tuning: TransferTuning): Promise<JobResult> {
  const b = job.backup;
  if (!deps.pendingSnapshots) throw new DiskFerryError('bad-input', 'This DiskFerry keeps no record of its snapshots, so it cannot make snapshot backups here; use the command line (diskferry backup --snapshot).', { retryable: false });
  const vm = await resolveVm(deps.client, b.vmId, ctx.control.cancelSignal);
  const sizes = new Map(vm.disks.map((d) => [d.name, d.provisionedSize ?? 0]));
  const total = [...sizes.values()].reduce((s, n) => s + n, 0);
  const done = new Map<string, TransferProgress>();
  const r = await runSnapshotBackup(deps, {
    vm: b.vmId,
    output: b.outputDir,
    diskIds: vm.disks.map((d) => d.id),
    pendingDir: deps.pendingSnapshots,
    ...(b.verify !== undefined ? { verify: b.verify } : {}),
    control: ctx.control,
    tuning,
    throttle: ctx.throttle,
    onProgress: (alias, p) => {
      done.set(alias, p);
      const all = [...done.values()];
      const sum = (f: (q: TransferProgress) => number) => all.reduce((s, q) => s + f(q), 0);
      ctx.onProgress({ ...p, bytesDone: sum((q) => q.bytesDone), bytesTotal: total, bytesOnWire: sum((q) => q.bytesOnWire), dataDone: sum((q) => q.dataDone), dataTotal: done.size === sizes.size && all.every((q) => q.dataTotal !== null) ? sum((q) => q.dataTotal ?? 0) : null });
    },
  });
  for (const n of r.notes) ctx.note(n);
  if (b.keep !== undefined) await pruneVmFolder(join(b.outputDir, vmFolderName(r.manifest.vm)), b.keep, { engine: null, vmId: r.manifest.vm.id });
  return backupResult(r.manifest, r.runDir, r.downloads.reduce((s, d) => s + d.bytesOnWire, 0));
}

/** A backup's result as the queue keeps it: the VM for the disk, the run folder, each disk from the manifest. */
function backupResult(m: BackupManifest, runDir: string, bytesOnWire: number): JobResult {
  return {
    diskId: m.vm.id,
    diskName: m.vm.name,
    path: runDir,
    virtualSize: m.disks.reduce((s, d) => s + d.virtualSize, 0),
    dataBytes: m.disks.reduce((s, d) => s + d.dataBytes, 0),
    resumedBytes: 0,
    bytesOnWire,
    digest: null,
    backup: { kind: m.kind, disks: m.disks.map((d) => ({ id: d.id, alias: d.alias, virtualSize: d.virtualSize, dataBytes: d.dataBytes, mode: d.mode })) },
  };
}

/**
 * A download whose earlier attempt completed the file (only a complete file carries the final name,
 * after the engine finished the transfer) but died before the queue recorded it. The attempt saved
 * its result (digest, data bytes, verification) just before the rename; the file must still be the
 * one it describes. A job saved by an older DiskFerry has no such result: then the job's own
 * transfer must have ended in success, and the digest and data bytes are read from the file itself.
 * Its journal leftovers go.
 */
async function finishedEarlier(deps: TransferDeps, job: QueueJob & { kind: 'download' }, disk: Disk, path: string, signal: AbortSignal): Promise<JobResult | null> {
  const saved = job.finishedResult;
  if (job.download.overwrite || (saved !== null && (saved.path !== path || saved.diskId !== disk.id))) return null;
  const [file, part] = await Promise.all([stat(path).catch(() => null), stat(PartFile.partPath(path)).catch(() => null)]);
  if (!file?.isFile() || part) return null;
  if (saved !== null) {
    if (file.size < saved.virtualSize) return null;
    await PartFile.removeJournal(path);
    return { ...saved, bytesOnWire: job.progress.bytesOnWire };
  }
  if (job.transferId === null) return null;
  const t = await deps.client.transfer(job.transferId, signal);
  if (t ? t.phase !== 'finished_success' : disk.provisionedSize !== file.size) return null;
  await PartFile.removeJournal(path);
  const c = await localChecksum(path, { signal });
  const note = 'not compared with the server: the run that downloaded it stopped before recording its result; the digest was computed from the file';
  return {
    diskId: disk.id,
    diskName: disk.name,
    path,
    virtualSize: c.size,
    dataBytes: c.bytesRead,
    resumedBytes: c.bytesRead,
    bytesOnWire: 0,
    digest: c.checksum,
    checksum: { algorithm: c.algorithm, blockSize: c.blockSize, server: null, verified: null, note },
  };
}

/** What a download saves before its rename (see finishedEarlier). */
function finishedResult(f: FinishedDownload): JobResult {
  const v = f.verification;
  return {
    diskId: f.diskId,
    diskName: f.diskName,
    path: f.path,
    virtualSize: f.virtualSize,
    dataBytes: f.dataBytes,
    resumedBytes: f.resumedBytes,
    bytesOnWire: 0,
    digest: v.digest,
    checksum: { algorithm: v.algorithm, blockSize: v.blockSize, server: v.serverDigest, verified: v.verified, note: v.note },
  };
}

/** What the job's notes say of an upload continued after an interruption. */
function continuedNote(diskId: string, transferId: string | null, r: UploadResult): string {
  const how = transferId ? `Continued transfer ${transferId} of disk ${diskId}` : `Continued on disk ${diskId} with a new transfer`;
  const sent = r.resumedBytes > 0 ? `${r.resumedBytes} of ${r.dataBytes} data bytes were already on the server and not sent again` : 'all data sent again';
  return `${how} after an interruption (${sent}).`;
}

/** How the transfer's checksum compared with the server's, for the job's result. */
function checksumOf(r: UploadResult | DownloadResult): NonNullable<JobResult['checksum']> {
  const c = r.report.checksum;
  return { algorithm: c.algorithm, blockSize: c.blockSize, server: c.server, verified: r.verified, note: r.verification };
}
