import { RangeSet } from '../../../shared/range-set.js';
import { DiskFerryError, asDiskFerryError, errorMessage } from '../errors.js';
import { imageStamp, probeImageOnce, type ImageProbe } from '../image/probe.js';
import { RawFileSource, type LocalImageSource } from '../image/raw-source.js';
import { openLocalSource } from '../image/local-source.js';
import { flatName } from '../image/backing-chain.js';
import { Qcow2FileSource } from '../image/qcow2-source.js';
import { TransferDigest, VERIFY_OFF, type Verification } from '../image/verify.js';
import { MAX_REQUEST_SIZE, planRanges, planTotals, type PlannedRange } from '../imageio/plan.js';
import { uploadRanges, type ZeroMode } from '../imageio/upload.js';
import type { Disk, DiskFormat, EngineVersion, StorageDomain } from '../ovirt/types.js';
import { deletesDiskOnUploadFailure, supportsFormat } from '../ovirt/versions.js';
import { chainNote, checkUploadDomain, checkUploadSpace, planUpload, uploadSpaceNeeded, type UploadPlan } from '../plan/upload-rules.js';
import type { UploadTarget } from '../plan/upload-target.js';
import type { TransferDeps, TransferOptions } from './deps.js';
import { reattachUpload, type UploadAttachment } from './reattach.js';
import { journalMismatch, UploadJournal } from './upload-journal.js';
import type { DataPlan, DataSession, RunContext, RunSummary, RunTarget, TransferStrategy } from './strategy.js';
import { throttledSource } from './throttled-source.js';
import type { CompletedRun } from './transfer-report.js';
import { TransferRun } from './transfer-run.js';

/**
 * What to upload where: the one upload shape (plan/upload-target.ts), which a queued job keeps, and
 * the new disk's description. Absent choices take the rules' defaults (plan/upload-rules.ts).
 */
export type UploadSpec = UploadTarget & { readonly description?: string };

/** Upload-only options: continue the upload of an interrupted run instead of creating a new disk. */
export interface UploadImageOptions extends TransferOptions {
  /**
   * The disk (and transfer, when still open) an earlier run created. With an upload journal of it
   * (TransferDeps.uploadJournals) and the file unchanged, only what the server had not flushed is sent.
   */
  readonly reattach?: UploadAttachment;
}

/** What an upload did. */
export interface UploadResult extends CompletedRun {
  readonly diskId: string;
  readonly diskName: string;
  readonly storageDomain: string;
  readonly format: DiskFormat;
  readonly virtualSize: number;
  readonly dataBytes: number;
  /** Data bytes an earlier, interrupted run had sent and the server had flushed: not sent again. */
  readonly resumedBytes: number;
}

/**
 * Uploads a local raw, ISO or qcow2 image into a new disk: probe, create the disk and wait until it is
 * ok, create the transfer, wait for `transferring`, send the data with N workers (zero runs skipped on
 * the new sparse disk), flush, verify, finalize and wait for the engine's verdict. Any failure after
 * the disk exists cancels the transfer, which makes the engine delete the disk; the error says so.
 */
export function uploadImage(deps: TransferDeps, spec: UploadSpec, options: UploadImageOptions = {}): Promise<UploadResult> {
  return new TransferRun(deps, options).run(new UploadStrategy(spec, options.reattach ?? null));
}

/** The fields of an upload's result besides those every completed run has. */
type UploadFields = Omit<UploadResult, keyof CompletedRun>;

/** What an upload does in the lifecycle of TransferRun. */
class UploadStrategy implements TransferStrategy<UploadFields> {
  readonly direction = 'upload';
  readonly pausesEngine = true;
  private probe: ImageProbe | null = null;
  private source: LocalImageSource | null = null;
  private version: EngineVersion | null = null;
  private domain: StorageDomain | null = null;
  private plan: UploadPlan | null = null;
  /** The image's ranges as guest data (its extents). */
  private guestPlan: PlannedRange[] = [];
  private dataBytes = 0;
  private disk: Disk | null = null;
  private digest: TransferDigest | null = null;
  private done: RangeSet | null = null;
  private journal: UploadJournal | null = null;
  /** The journal describes what the disk holds: ranges it lists are kept, zero runs need no write. */
  private journalTrusted = true;
  private resumedBytes = 0;
  private maxRequest = MAX_REQUEST_SIZE;

  constructor(
    private readonly spec: UploadSpec,
    private readonly reattach: UploadAttachment | null,
  ) {}

  async inspect(): Promise<void> {
    this.probe = await probeImageOnce(this.spec.path, this.spec.image);
    // A qcow2 is opened as guest data first, so a damaged one is refused before anything is created.
    this.source = await openLocalSource(this.probe);
  }

  async prepare(ctx: RunContext, version: EngineVersion): Promise<RunTarget> {
    const { deps, control, tracker } = ctx;
    const { client, log } = deps;
    const probe = this.probe!;
    this.version = version;
    const domain = (this.domain = await client.storageDomain(this.spec.storageDomain));
    checkUploadDomain(domain);
    const chain = this.source instanceof Qcow2FileSource ? this.source.files : [];
    if (chain.length > 1) log.info(chainNote(probe.name, chain.length));
    if (probe.format === 'qcow2' && !supportsFormat(version)) {
      if (chain.length > 1)
        throw new DiskFerryError(
          'bad-input',
          `This engine (${version.full}) takes a qcow2 only as the bytes of its file, so ${probe.name} cannot be sent with its backing chain (${chain.length} files). Flatten it first: qemu-img convert -O qcow2 ${probe.name} ${flatName(probe.name)}`,
          { retryable: false },
        );
      await this.source!.extents({ signal: control.cancelSignal }); // validates every table before the bytes go as they are
      await this.source!.close();
      this.source = await RawFileSource.open(this.spec.path);
    }
    // Requests no larger than the flush interval: a range enters the journal only whole, after a flush.
    this.maxRequest = Math.min(MAX_REQUEST_SIZE, ctx.tuning.flushEvery ?? MAX_REQUEST_SIZE);
    this.guestPlan = planRanges(await this.source!.extents({ signal: control.cancelSignal }), { maxRequest: this.maxRequest });
    const { dataBytes } = planTotals(this.guestPlan);
    this.dataBytes = dataBytes;
    const plan = (this.plan = planUpload(probe, this.spec, domain, version, dataBytes));
    for (const note of plan.notes) log.info(note);
    checkUploadSpace(domain, plan.initialSize ?? uploadSpaceNeeded(plan, probe.virtualSize, dataBytes), probe.name);
    tracker.setTotal(plan.transferFormat === 'raw' ? probe.virtualSize : probe.fileSize);

    if (this.reattach) {
      const attached = await reattachUpload(deps, this.reattach, { format: plan.format, virtualSize: probe.virtualSize }, control.cancelSignal);
      this.disk = attached.disk;
      await this.openJournal(ctx, attached.disk, true);
      return { disk: attached.disk, transferFormat: plan.transferFormat, transfer: attached.transfer };
    }
    const created = await client.createDisk({
      name: plan.diskName,
      description: this.spec.description ?? `Uploaded by DiskFerry from ${probe.name}`,
      provisionedSize: probe.virtualSize,
      format: plan.format,
      sparse: plan.sparse,
      ...(plan.initialSize !== null ? { initialSize: plan.initialSize } : {}),
      contentType: plan.contentType,
      ...(plan.backup ? { backup: plan.backup } : {}),
      storageDomain: { id: domain.id },
    });
    this.disk = created;
    log.info('disk created', { diskId: created.id, name: plan.diskName });
    await ctx.created({ diskId: created.id, transferId: null });
    await this.openJournal(ctx, created, false);
    this.disk = await client.waitForDiskOk(created.id, { signal: control.cancelSignal, timeoutMs: ctx.timeoutMs });
    return { disk: this.disk, transferFormat: plan.transferFormat, transfer: null };
  }

  async openData(ctx: RunContext, session: DataSession): Promise<DataPlan> {
    const probe = this.probe!;
    const guest = this.plan!.transferFormat === 'raw';
    // The FILE backend sends the file's bytes as they are: one data range over the whole file.
    const ranges = guest ? this.guestPlan : planRanges([{ start: 0, length: probe.fileSize, zero: false }], { maxRequest: this.maxRequest });
    const done = (this.done = new RangeSet());
    const journal = this.journal;
    // What an earlier run sent and the server flushed is kept; the rest of each range goes.
    if (journal && this.journalTrusted) for (const r of ranges) for (const d of journal.done.within(r.start, r.start + r.length)) done.add(d.start, d.end);
    this.resumedBytes = journal && this.journalTrusted ? journal.coveredBytes(ranges) : 0;
    if (this.resumedBytes > 0) ctx.deps.log.info('resuming an upload', { disk: this.disk!.name, bytesOnServer: this.resumedBytes });
    ctx.tracker.setDone(done.size);
    if (this.spec.verify ?? true) {
      const digest = (this.digest = await TransferDigest.create(guest ? probe.virtualSize : probe.fileSize, { thread: ctx.deps.hashThread ?? false }));
      digest.addZeroRanges(ranges);
      // The whole image is verified: what is not sent this run is hashed from the local file.
      const kept = ranges.filter((r) => !r.zero).flatMap((r) => [...done.within(r.start, r.start + r.length)]);
      if (kept.length > 0) await digest.addFrom(this.source!, kept, ctx.control.cancelSignal);
    }
    await journal?.setTransfer(session.transfer.id);
    return { ranges, done };
  }

  /**
   * The journal of this file on `disk`: a new one for a new disk; for a disk an earlier run began,
   * the one it left, trusted only when it was written for this file as it is now and for the same
   * wire. Without a trusted journal the disk may hold other bytes, so everything is sent, zeros too.
   */
  private async openJournal(ctx: RunContext, disk: Disk, resume: boolean): Promise<void> {
    const { deps } = ctx;
    const dir = deps.uploadJournals;
    const probe = this.probe!;
    if (resume) this.journalTrusted = false;
    if (!dir) return;
    const wire = this.plan!.transferFormat === 'raw' ? 'raw' : 'file';
    const size = wire === 'raw' ? probe.virtualSize : probe.fileSize;
    const identity = { path: this.spec.path, engine: deps.client.engineHost, diskId: disk.id, diskName: this.plan!.diskName, stamp: imageStamp(probe), wire, size } as const;
    const found = resume ? await UploadJournal.load(dir, this.spec.path, disk.id) : null;
    const why = found ? (journalMismatch(found.identity, identity.stamp) ?? (found.identity.wire !== wire || found.identity.size !== size ? 'the transfer format changed' : null)) : 'no journal of it';
    if (found && why === null) {
      this.journal = found;
      this.journalTrusted = true;
      return;
    }
    if (resume) deps.log.warn('sending the whole image again to the disk of an interrupted upload', { diskId: disk.id, why });
    this.journal = await UploadJournal.create(dir, identity);
  }

  async move(ctx: RunContext, { imageio }: DataSession, remaining: readonly PlannedRange[], signal: AbortSignal): Promise<void> {
    const plan = this.plan!;
    const { control, throttle } = ctx;
    const hashed = this.digest ? this.digest.source(this.source!) : this.source!;
    // The FILE backend writes the file's bytes over whatever the new volume holds, so zeros must be
    // written; a new sparse or cow disk read through NBD is all zeros, so zero runs are skipped.
    // A disk an earlier run wrote without a journal to say what may hold other bytes: zeros are written.
    const zeroMode: ZeroMode = plan.transferFormat === 'raw' && (plan.sparse || plan.format === 'cow') && this.journalTrusted ? 'skip' : 'patch';
    const done = this.done!;
    const journal = this.journal;
    await uploadRanges({
      session: imageio,
      source: throttle ? throttledSource(hashed, throttle, () => control.runSignal) : hashed,
      plan: remaining,
      zeroMode,
      ...(ctx.tuning.workers !== undefined ? { workers: ctx.tuning.workers } : {}),
      ...(ctx.tuning.flushEvery !== undefined ? { flushEvery: ctx.tuning.flushEvery } : {}),
      signal,
      onProgress: ctx.tracker.passListener(done.size),
      onRangeDone: (r) => done.add(r.start, r.start + r.length),
      ...(journal ? { onFlushed: (rs: readonly PlannedRange[]) => journal.addFlushed(rs) } : {}),
    });
  }

  async verify(ctx: RunContext, { imageio }: DataSession): Promise<Verification> {
    await this.source!.checkUnchanged();
    // A mismatch fails the upload, which cancels it, so the disk is never kept as good.
    const verification = this.digest
      ? await this.digest.verify(imageio, ctx.control.cancelSignal, { local: `the local image ${this.probe!.name}`, consequence: 'The upload was cancelled so that the disk is not kept.' })
      : VERIFY_OFF;
    await this.journal?.setFinalizing();
    return verification;
  }

  async complete(): Promise<RunSummary<UploadFields>> {
    await this.journal?.remove();
    const probe = this.probe!;
    const plan = this.plan!;
    const disk = this.disk!;
    const domain = this.domain!;
    return {
      result: { diskId: disk.id, diskName: plan.diskName, storageDomain: domain.name, format: plan.format, virtualSize: probe.virtualSize, dataBytes: this.dataBytes, resumedBytes: this.resumedBytes },
      report: { source: this.spec.path, target: `${plan.diskName} (${disk.id}) on ${domain.name}`, localFormat: probe.format, virtualSize: probe.virtualSize, dataBytes: this.dataBytes },
    };
  }

  /**
   * A failed or cancelled upload leaves no disk: its transfer is cancelled and the disk deleted (by
   * the engine from 4.2.4), and the error says what became of it. A detached run (the queue closing
   * while it is paused) leaves its transfer paused on the engine for a later run to re-attach.
   */
  async abandon(ctx: RunContext, err: unknown, transferId: string | null): Promise<DiskFerryError> {
    const { control } = ctx;
    if (control.detached) return new DiskFerryError('cancelled', 'The upload was stopped; its transfer stays paused on the engine.', { cause: err, retryable: false });
    const disk = this.disk;
    const deleted = disk ? await cleanUpFailedUpload(ctx.deps, disk, transferId, this.version, ctx.timeoutMs) : null;
    // The journal goes with its disk, and after a mismatch, which it may have caused.
    if (deleted === true || (err instanceof DiskFerryError && err.code === 'verification-failed')) await this.journal?.remove().catch(() => {});
    const e = control.cancelled ? new DiskFerryError('cancelled', 'The upload was cancelled.', { cause: err, retryable: false }) : asDiskFerryError(err);
    return withContext(e, disk ? diskFateAfterUploadFailure(disk.name, deleted) : '');
  }

  async close(): Promise<void> {
    await this.source?.close().catch(() => {});
    // A run that stops with its disk kept (detached, or its clean-up failed) saves the last flushes.
    await this.journal?.save().catch(() => {});
  }
}

/**
 * After a failure: cancel the transfer and wait until the engine has ended it; from 4.2.4 the engine
 * then deletes the disk itself, older engines leave it (illegal), so it is deleted here, as it is when
 * no transfer was created yet. Returns whether the disk is gone, or null when that is unknown.
 */
async function cleanUpFailedUpload(deps: TransferDeps, disk: Disk, transferId: string | null, version: EngineVersion | null, timeoutMs: number): Promise<boolean | null> {
  const { client, log } = deps;
  const limit = Math.min(timeoutMs, 120_000);
  const signal = AbortSignal.timeout(limit);
  try {
    if (transferId) await client.cancelTransferAndWait(transferId, { signal, timeoutMs: limit });
    if (!transferId || !version || !deletesDiskOnUploadFailure(version)) await client.deleteDisk(disk.id, signal);
    return await client.waitForDiskGone(disk.id, { signal, timeoutMs: limit });
  } catch (err) {
    log.warn('cleanup after a failed upload did not complete', { diskId: disk.id, error: errorMessage(err) });
    return false;
  }
}

/** Text for "what happened to the disk" after a failed or cancelled upload. */
function diskFateAfterUploadFailure(diskName: string, deleted: boolean | null): string {
  if (deleted === true) return `The engine deleted the disk '${diskName}'.`;
  if (deleted === false) return `The disk '${diskName}' may still exist and be locked or illegal: check it in the oVirt Administration Portal and remove it.`;
  return '';
}

/** The same error with a sentence added, keeping the code and retryable flag. */
function withContext(err: DiskFerryError, suffix: string): DiskFerryError {
  if (!suffix) return err;
  return new DiskFerryError(err.code, `${err.message} ${suffix}`.trim(), {
    cause: err,
    retryable: err.retryable,
    diskLocked: err.diskLocked,
    ...(err.status !== undefined ? { status: err.status } : {}),
    ...(err.engineText !== undefined ? { engineText: err.engineText } : {}),
  });
}

