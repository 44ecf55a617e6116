import { INCREMENTAL_NOT_VERIFIED, type BackupSource } from './backup-source.js';
import { rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RangeSet } from '../../../shared/range-set.js';
import { DiskFerryError, asDiskFerryError, errorMessage } from '../errors.js';
import { ensureFreeSpace, freeBytes } from '../fs/free-space.js';
import { sparseFilesFor } from '../os/index.js';
import { notSparseNote } from '../os/sparse-files.js';
import { incrementalLayout, qcow2Layout } from '../image/qcow2-layout.js';
import { Qcow2FileSource } from '../image/qcow2-source.js';
import { RawFileSource, type LocalImageSource } from '../image/raw-source.js';
import { TransferDigest, VERIFY_OFF, type Verification } from '../image/verify.js';
import { downloadRanges } from '../imageio/download.js';
import { planRanges, planTotals, type PlanExtent, type PlannedRange } from '../imageio/plan.js';
import type { Disk, EngineVersion } from '../ovirt/types.js';
import { nameSearch } from '../ovirt/urls.js';
import { DEFAULT_OUTPUT_FORMAT, downloadPath, ensureDownloadFolders } from '../plan/download-rules.js';
import { supportsFormat } from '../ovirt/versions.js';
import type { TransferDeps, TransferOptions } from './deps.js';
import { JournaledTarget } from './journaled-target.js';
import { PartFile, ensureTargetFree } from './part-file.js';
import type { DataPlan, DataSession, RunContext, RunSummary, RunTarget, TransferStrategy } from './strategy.js';
import type { CompletedRun } from './transfer-report.js';
import { TransferRun } from './transfer-run.js';

/** What to download where. */
export interface DownloadSpec {
  /** Disk id or exact name. */
  readonly disk: string;
  /** The output file; or a folder, where the file is named after the disk. */
  readonly output: { readonly file: string } | { readonly dir: string };
  /**
   * The output folder the user chose, when `output.file` lies in folders a name template made below
   * it (`{vm}/{disk}`): those folders are made when the download starts.
   */
  readonly root?: string;
  /** Replace an existing complete file. */
  readonly overwrite?: boolean;
  /** Continue an interrupted download from its journal (default true). */
  readonly resume?: boolean;
  /** Output format: sparse raw (default) or a sparse qcow2 v3 written natively. */
  readonly format?: 'raw' | 'qcow2';
  /** Compare the blkhash of the data with the server's before finalize (default true; needs imageio 2). */
  readonly verify?: boolean;
  /**
   * Download this point-in-time volume of the disk (a disk snapshot id: `SnapshotDisk.volumeId`), the
   * disk as it was when the snapshot was taken, collapsed; the disk may be in use by a running VM.
   */
  readonly snapshotVolumeId?: string;
  /** A disk of a VM backup (main/engine/backup/): read through the backup, written as qcow2. */
  readonly backup?: BackupSource;
}

/** What a download did. */
export interface DownloadResult extends CompletedRun {
  readonly diskId: string;
  readonly diskName: string;
  readonly path: string;
  readonly virtualSize: number;
  readonly dataBytes: number;
  /** Bytes already present from an earlier, interrupted run. */
  readonly resumedBytes: number;
  readonly format: 'raw' | 'qcow2';
}

/** Finds a disk by id, or by exact name (refusing ambiguous names). */
export async function resolveDisk(deps: TransferDeps, idOrName: string, signal?: AbortSignal): Promise<Disk> {
  const byId = /^[0-9a-f-]{36}$/i.test(idOrName) ? await deps.client.disk(idOrName, signal) : null;
  if (byId) return byId;
  const matches = (await deps.client.disks({ search: nameSearch(idOrName) })).filter((d) => d.name === idOrName);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1)
    throw new DiskFerryError('bad-input', `${matches.length} disks are named '${idOrName}'. Use the disk id instead (diskferry disks --search '${idOrName}').`, {
      retryable: false,
    });
  throw new DiskFerryError('not-found', `No disk '${idOrName}' on this engine. List them with diskferry disks.`, { retryable: false, subject: { kind: 'disk', name: idOrName } });
}

/**
 * Downloads a disk as a sparse raw (or qcow2) file: create a download transfer, read the server's
 * extents, fetch only the data ranges with N workers into NAME.part (zero ranges stay holes), keep a
 * journal so an interrupted run fetches only what is missing, always finalize (downloads are never
 * cancelled), and rename to NAME only when every byte is there.
 */
export function downloadDisk(deps: TransferDeps, spec: DownloadSpec, options: DownloadOptions = {}): Promise<DownloadResult> {
  return new TransferRun(deps, options).run(new DownloadStrategy(spec, options));
}

/** A download whose engine transfer ended well and whose file is complete, just before it takes its final name. */
export interface FinishedDownload extends Pick<DownloadResult, 'diskId' | 'diskName' | 'path' | 'virtualSize' | 'dataBytes' | 'resumedBytes'> {
  readonly verification: Verification;
}

/** The options of a download: those of every transfer, and one more hook. */
export interface DownloadOptions extends TransferOptions {
  /**
   * Awaited after the engine finished the transfer and before `NAME.part` is renamed: a queue saves
   * the result here, so a kill right after the rename still finds what was downloaded and verified.
   */
  readonly onFinishing?: (done: FinishedDownload) => Promise<void> | void;
  /**
   * Told what the user should know before the data comes (a destination that cannot hold sparse
   * files). Without it the note is logged as a warning.
   */
  readonly onNote?: (note: string) => void;
}

/** The fields of a download's result besides those every completed run has. */
type DownloadFields = Omit<DownloadResult, keyof CompletedRun>;

/** What a download does in the lifecycle of TransferRun. */
class DownloadStrategy implements TransferStrategy<DownloadFields> {
  readonly direction = 'download';
  readonly pausesEngine = false;
  private readonly format: 'raw' | 'qcow2';
  private disk: Disk | null = null;
  private path = '';
  private nbd = false;
  private size = 0;
  private plan: PlannedRange[] = [];
  private resumedBytes = 0;
  private target: JournaledTarget | null = null;
  private digest: TransferDigest | null = null;
  private verification: Verification = VERIFY_OFF;

  private readonly onFinishing: DownloadOptions['onFinishing'];
  private readonly onNote: DownloadOptions['onNote'];

  constructor(
    private readonly spec: DownloadSpec,
    options: Pick<DownloadOptions, 'onFinishing' | 'onNote'> = {},
  ) {
    this.onFinishing = options.onFinishing;
    this.onNote = options.onNote;
    this.format = spec.backup ? 'qcow2' : (spec.format ?? DEFAULT_OUTPUT_FORMAT);
  }

  async inspect(): Promise<void> {
    // Nothing local can be checked before the disk is known: the file is named after it.
  }

  async prepare(ctx: RunContext, version: EngineVersion): Promise<RunTarget> {
    const backup = this.spec.backup;
    if (backup) {
      this.disk = backup.disk;
      this.nbd = true;
      this.path = downloadPath(this.spec.output, backup.disk, this.format);
      await ensureTargetFree(this.path, this.spec.overwrite ?? false);
      return { disk: backup.disk, transferFormat: 'raw', transfer: null, backupId: backup.backupId };
    }
    const disk = await resolveDisk(ctx.deps, this.spec.disk, ctx.control.cancelSignal);
    if (disk.status === 'locked')
      throw new DiskFerryError(
        'conflict',
        `Disk '${disk.name}' is locked; it can be downloaded only when it is ok. An image transfer (perhaps a stuck one) or another operation holds it: see the transfers on this disk ('diskferry transfers', or "See transfers on this disk…" in the window), or try again later.`,
        { diskLocked: true },
      );
    if (disk.status !== 'ok')
      throw new DiskFerryError('conflict', `Disk '${disk.name}' is ${disk.status ?? 'in an unknown state'}; it can be downloaded only when it is ok. Try again later.`, { subject: { kind: 'disk', name: disk.name } });
    this.disk = disk;
    this.path = downloadPath(this.spec.output, disk, this.format);
    if (this.spec.root !== undefined) await ensureDownloadFolders(this.spec.root, this.path);
    await ensureTargetFree(this.path, this.spec.overwrite ?? false);
    this.nbd = supportsFormat(version);
    // Without the NBD backend a cow disk comes as its qcow2 volume, not as guest data to re-encode.
    if (this.format === 'qcow2' && !this.nbd && disk.format === 'cow')
      throw new DiskFerryError('bad-input', `This engine (${version.full}) sends the cow disk '${disk.name}' as its qcow2 volume, not as guest data, so it cannot be written as a new qcow2. Download it as raw: the file is then that qcow2 volume.`, {
        retryable: false,
      });
    if (this.spec.snapshotVolumeId !== undefined) {
      // The FILE backend would send the snapshot's own qcow2 layer, not the disk as it was.
      if (!this.nbd) throw new DiskFerryError('bad-input', `This engine (${version.full}) cannot download a snapshot of disk '${disk.name}' as guest data; that needs oVirt 4.3 or later.`, { retryable: false });
      return { disk, transferFormat: 'raw', transfer: null, snapshotVolumeId: this.spec.snapshotVolumeId };
    }
    return { disk, transferFormat: this.nbd ? 'raw' : null, transfer: null };
  }

  async openData(ctx: RunContext, { imageio }: DataSession): Promise<DataPlan> {
    const { deps, control } = ctx;
    const disk = this.disk!;
    const backing = this.spec.backup?.backingFile ?? null;
    const extents: ReadonlyArray<PlanExtent & { readonly dirty?: boolean }> =
      backing !== null
        ? await imageio.extents(control.cancelSignal, 'dirty')
        : imageio.features.extents
          ? await imageio.extents(control.cancelSignal)
          : [{ start: 0, length: await imageio.size(control.cancelSignal), zero: false }];
    const size = extents.reduce((end, e) => Math.max(end, e.start + e.length), 0);
    // Guest data (NBD) always spans exactly the disk's virtual size: anything else would give a short
    // or padded copy passed off as the disk, so nothing is written.
    if (disk.provisionedSize !== null && this.nbd && size !== disk.provisionedSize)
      throw new DiskFerryError(
        'protocol',
        `The data server describes ${size} bytes, but disk '${disk.name}' has ${disk.provisionedSize}. Nothing was written. Ask the oVirt administrator to check the disk and its imageio server, then try again.`,
        { retryable: false },
      );
    this.size = size;
    ctx.tracker.setTotal(size);
    // An incremental backup fetches whole changed clusters (incrementalLayout); the rest is not moved.
    const incremental = backing !== null ? incrementalLayout(size, extents.map((e) => ({ ...e, dirty: e.dirty ?? false })), backing) : null;
    const plan = (this.plan = planRanges(incremental ? fetchPlan(size, incremental.fetch) : extents));
    // A qcow2 target's layout follows from the extents; the journal resumes only into the same layout.
    const layout = incremental?.layout ?? (this.format === 'qcow2' ? qcow2Layout(size, extents.filter((e) => !e.zero)) : null);
    const sparse = deps.sparse ?? sparseFilesFor();
    const dir = dirname(this.path);
    const volume = await sparse.volume(dir);
    if (!volume.sparse) {
      // FAT, exFAT, HFS+ (or a share that may not keep holes): the file takes its whole size as soon
      // as it is extended, so the room is checked for all of it before it is opened. A qcow2 file holds
      // only its data anyway. What a kept `.part` already occupies (its allocated blocks) is reused.
      const whole = layout?.fileSize ?? size;
      const note = layout ? null : notSparseNote(volume, whole);
      if (note && this.onNote) this.onNote(note);
      else if (note) deps.log.warn(note, { disk: disk.name });
      const present = await stat(PartFile.partPath(this.path)).then((s) => Math.min(s.size, s.blocks * 512), () => 0);
      await ensureFreeSpace(dir, whole - present, `Downloading disk '${disk.name}'`, freeBytes, note ?? undefined);
    }
    const hadPart = await stat(PartFile.partPath(this.path)).then(() => true, () => false);
    const target = (this.target = await JournaledTarget.open(this.path, {
      size,
      identity: `${disk.id}:${size}`,
      layout,
      resume: this.spec.resume ?? true,
      timers: deps.timers,
      sparse,
      ...(deps.files ? { files: deps.files } : {}),
    }));
    this.resumedBytes = presentData(plan, target.done);
    if (this.resumedBytes > 0) deps.log.info('resuming a download', { disk: disk.name, bytesPresent: this.resumedBytes });
    // Not enough room for the data still to come: say so before writing, not when the disk fills.
    if (volume.sparse)
      await ensureFreeSpace(dir, planTotals(plan).dataBytes - this.resumedBytes, `Downloading disk '${disk.name}'`).catch(async (err: unknown) => {
        // Refused before a byte was written: a partial file this run made holds nothing to keep
        // (it was left, and the message called it kept).
        if (!hadPart) {
          this.target = null;
          await target.close();
          await rm(PartFile.partPath(this.path), { force: true });
          await rm(PartFile.journalPath(this.path), { force: true });
        }
        throw err;
      });
    target.startSaving();
    // Zero ranges need nothing: the part file is sparse. They count as done at once.
    for (const r of plan) if (r.zero) target.markDone(r.start, r.length);
    if (incremental) this.verification = { ...VERIFY_OFF, note: INCREMENTAL_NOT_VERIFIED };
    else if (this.spec.verify ?? true) {
      const digest = (this.digest = await TransferDigest.create(size, { thread: deps.hashThread ?? false }));
      digest.addZeroRanges(plan);
      // Only the bytes an earlier run already wrote are read back; the rest is hashed as it arrives.
      const present = plan.filter((r) => !r.zero).flatMap((r) => [...target.done.within(r.start, r.start + r.length)]);
      if (present.length > 0) await withLocalSource(PartFile.partPath(this.path), layout !== null, (src) => digest.addFrom(src, present, control.cancelSignal));
    }
    return { ranges: plan, done: target.done };
  }

  async move(ctx: RunContext, { imageio }: DataSession, remaining: readonly PlannedRange[], signal: AbortSignal): Promise<void> {
    const target = this.target!;
    const { throttle } = ctx;
    const digest = this.digest;
    // The disk's image does not change while it is read: the server may hash it while the data moves.
    if (digest && ctx.deps.earlyChecksum === true) digest.askServerEarly(imageio, signal);
    await downloadRanges({
      session: imageio,
      plan: remaining,
      sink: {
        write: async (offset, data) => {
          await throttle?.(data.length, signal);
          await target.write(offset, data, digest);
        },
      },
      ...(ctx.tuning.workers !== undefined ? { workers: ctx.tuning.workers } : {}),
      signal,
      onProgress: ctx.tracker.passListener(target.done.size),
      onRangeDone: (r) => target.markDone(r.start, r.length),
    });
  }

  async verify(ctx: RunContext, { imageio, transfer }: DataSession): Promise<Verification> {
    const { deps, control } = ctx;
    const target = this.target!;
    const complete = target.done.covers(0, this.size);
    target.stopSaving();
    // The data's fsync (inside the save) runs while the server computes its checksum: both take a
    // while on a large image, and neither needs the other.
    const journaled = target.save();
    journaled.catch(() => {}); // awaited below, on every path
    // Right after the data: the engine ends a fully read download by itself once its ticket is idle.
    // A mismatch keeps the file as .part and drops its journal, so the next run downloads everything
    // again instead of resuming.
    const verification =
      this.digest && complete
        ? await this.digest
            .verify(imageio, control.cancelSignal, {
              local: `the downloaded file`,
              consequence: `The file was kept as ${PartFile.partPath(this.path)}, but it is not a good copy of disk '${this.disk!.name}'. Download the disk again: the next run starts from the beginning.`,
              whenTicketGone: async () => {
                const t = await deps.client.transfer(transfer.id, control.cancelSignal).catch(() => null);
                const ended = !t || t.phase === 'finalizing_success' || t.phase === 'finished_success';
                return ended ? 'not verified: the engine ended the transfer before the server computed its checksum' : null;
              },
            })
            .catch(async (err: unknown) => {
              await journaled.catch(() => {});
              if (err instanceof DiskFerryError && err.code === 'verification-failed') await target.forget();
              throw err;
            })
        : this.verification;
    await journaled;
    await target.save();
    if (!complete) throw new DiskFerryError('internal', 'The download ended with ranges missing; the partial file was kept. Run the download again to fetch them.');
    this.verification = verification;
    return verification;
  }

  async complete(): Promise<RunSummary<DownloadFields>> {
    const disk = this.disk!;
    const dataBytes = planTotals(this.plan).dataBytes;
    const finished = { diskId: disk.id, diskName: disk.name, path: this.path, virtualSize: this.size, dataBytes, resumedBytes: this.resumedBytes, verification: this.verification };
    await this.onFinishing?.(finished);
    await this.target!.complete();
    this.target = null;
    return {
      result: { diskId: disk.id, diskName: disk.name, path: this.path, virtualSize: this.size, dataBytes, resumedBytes: this.resumedBytes, format: this.format },
      report: { source: `${disk.name} (${disk.id})`, target: this.path, localFormat: this.format, virtualSize: this.size, dataBytes },
    };
  }

  /**
   * Downloads always end with finalize, never cancel: the disk goes back to ok either way. The
   * journal is saved now, not only at close: the message must not promise a resume it cannot give.
   */
  async abandon(ctx: RunContext, err: unknown, transferId: string | null): Promise<DiskFerryError> {
    const { control } = ctx;
    const e = control.cancelled ? new DiskFerryError('cancelled', 'The download was cancelled.', { cause: err, retryable: false }) : asDiskFerryError(err);
    const disk = this.disk;
    if (!disk || !transferId) return e;
    const released = await releaseDisk(ctx.deps, disk.id, transferId);
    const unverified = e.code === 'verification-failed';
    const journaled = this.target && !unverified ? await this.target.save().then(() => true, () => false) : false;
    const kept = journaled ? ` The partial file ${PartFile.partPath(this.path)} was kept; run the same download again to continue where it stopped.` : '';
    const engine = e.code === 'cancelled' || unverified ? '' : released
      ? ` The transfer on the engine was closed: disk '${disk.name}' is not locked.`
      : ` The transfer on the engine could not be closed: disk '${disk.name}' may stay locked until the engine ends the transfer by itself.`;
    return new DiskFerryError(e.code, `${e.message}${kept}${engine}`, { cause: e, retryable: e.retryable, diskLocked: e.diskLocked, ...(e.engineText !== undefined ? { engineText: e.engineText } : {}) });
  }

  async close(): Promise<void> {
    await this.target?.close();
    this.target = null;
  }
}

/**
 * Finalizes a failed download's transfer; returns whether its disk is free. A download that ended in
 * failure (finished_failure, e.g. after a system cancel) still unlocks its disk (reference/engine.md
 * §3.3): when finalize does not complete, the disk, not the phase, says whether it is free.
 */
async function releaseDisk(deps: TransferDeps, diskId: string, transferId: string): Promise<boolean> {
  const { client, log } = deps;
  return client.finishTransfer(transferId, { diskId, direction: 'download', signal: AbortSignal.timeout(120_000), timeoutMs: 120_000 }).then(
    () => true,
    async (e: unknown) => {
      log.warn('finalizing the failed download did not complete', { error: errorMessage(e) });
      const now = await client.disk(diskId, AbortSignal.timeout(30_000)).catch(() => null);
      return now?.status === 'ok';
    },
  );
}

/** Opens the partial file as guest data (raw, or qcow2 through the reader) for the duration of `fn`. */
async function withLocalSource(partPath: string, qcow2: boolean, fn: (source: LocalImageSource) => Promise<void>): Promise<void> {
  const source = qcow2 ? await Qcow2FileSource.open(partPath) : await RawFileSource.open(partPath);
  try {
    await fn(source);
  } finally {
    await source.close();
  }
}

/** The extents of an incremental backup's plan: the ranges to fetch as data, the rest as zero (not moved). */
function fetchPlan(size: number, fetch: ReadonlyArray<{ start: number; length: number }>): PlanExtent[] {
  const out: PlanExtent[] = [];
  let pos = 0;
  for (const f of fetch) {
    if (f.start > pos) out.push({ start: pos, length: f.start - pos, zero: true });
    out.push({ start: f.start, length: f.length, zero: false });
    pos = f.start + f.length;
  }
  if (pos < size) out.push({ start: pos, length: size - pos, zero: true });
  return out;
}

/** Data bytes of the plan already in `done` (written by an earlier run). */
function presentData(plan: readonly PlannedRange[], done: RangeSet): number {
  let bytes = 0;
  for (const r of plan) if (!r.zero) for (const d of done.within(r.start, r.start + r.length)) bytes += d.end - d.start;
  return bytes;
}
