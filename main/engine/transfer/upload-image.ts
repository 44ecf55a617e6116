import { RangeSet } from '../../../shared/range-set.js';
import { DiskFerryError, asDiskFerryError } from '../errors.js';
import { probeImageOnce } from '../image/probe.js';
import { RawFileSource, type LocalImageSource } from '../image/raw-source.js';
import { openLocalSource } from '../image/local-source.js';
import { TransferDigest, VERIFY_OFF } from '../image/verify.js';
import { planRanges, planTotals } from '../imageio/plan.js';
import { uploadRanges, type ZeroMode } from '../imageio/upload.js';
import type { Disk, DiskFormat, EngineVersion } from '../ovirt/types.js';
import { deletesDiskOnUploadFailure, supportsFormat } from '../ovirt/versions.js';
import { checkUploadDomain, planUpload } from '../plan/upload-rules.js';
import type { UploadTarget } from '../plan/upload-target.js';
import type { TransferDeps, TransferOptions } from './deps.js';
import { reattachUpload, type UploadAttachment } from './reattach.js';
import { throttledSource } from './throttled-source.js';
import { completedRun, type CompletedRun } from './transfer-report.js';
import { beginRun, recoverTransferTicket, diskFateAfterUploadFailure, openSession, runDataPhase, withContext, type OpenSession } from './session.js';

/**
 * What to upload where: the one upload shape (plan/upload-target.ts), which a queued job keeps, and
 * the new disk's description. Absent choices take the rules' defaults (plan/upload-rules.ts).
 */
export type UploadSpec = UploadTarget & { readonly description?: string };

/** Upload-only options: continue the transfer of an interrupted run instead of creating a new disk. */
export interface UploadImageOptions extends TransferOptions {
  /** The disk and transfer an earlier run created, still `transferring` or `paused_*` on the engine. */
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
}

/**
 * Uploads a local raw, ISO or qcow2 image into a new disk: probe, create the disk and wait until it is
 * ok, create the transfer, wait for `transferring`, send the data with N workers (zero runs skipped on
 * the new sparse disk), flush, finalize and wait for the engine's verdict. Any failure after the disk
 * exists cancels the transfer, which makes the engine delete the disk; the error says so.
 */
export async function uploadImage(
  deps: TransferDeps,
  spec: UploadSpec,
  options: UploadImageOptions = {},
): Promise<UploadResult> {
  const { control, tuning, tracker, timeoutMs } = beginRun(deps, options);
  const { client, log } = deps;
  const startedAt = deps.now();
  const probe = await probeImageOnce(spec.path, spec.image);
  // A qcow2 is opened as guest data first, so a damaged one is refused before anything is created.
  let source: LocalImageSource = await openLocalSource(probe);
  let disk: Disk | null = null;
  let transferId: string | null = null;
  let session: OpenSession | null = null;
  let version: EngineVersion | null = null;
  try {
    version = await client.version();
    const domain = await client.storageDomain(spec.storageDomain);
    checkUploadDomain(domain);
    if (probe.format === 'qcow2' && !supportsFormat(version)) {
      await source.extents({ signal: control.cancelSignal }); // validates every table before the bytes go as they are
      await source.close();
      source = await RawFileSource.open(spec.path);
    }
    const extents = await source.extents({ signal: control.cancelSignal });
    const plan0 = planRanges(extents);
    const { dataBytes } = planTotals(plan0);
    const plan = planUpload(probe, spec, domain, version, dataBytes);
    for (const note of plan.notes) log.info(note);
    const needed = plan.sparse ? (plan.initialSize ?? dataBytes) : probe.virtualSize;
    if (domain.available !== null && needed > domain.available)
      throw new DiskFerryError('bad-input', `${domain.name} has ${fmtGiB(domain.available)} free, not enough for ${probe.name} (${fmtGiB(needed)}). Choose another storage domain.`, {
        retryable: false,
      });
    tracker.setTotal(plan.transferFormat === 'raw' ? probe.virtualSize : probe.fileSize);

    const attached = options.reattach ? await reattachUpload(deps, options.reattach, plan.format, control.cancelSignal) : null;
    disk = attached?.disk ?? await client.createDisk({
      name: plan.diskName,
      description: spec.description ?? `Uploaded by DiskFerry from ${probe.name}`,
      provisionedSize: probe.virtualSize,
      format: plan.format,
      sparse: plan.sparse,
      ...(plan.initialSize !== null ? { initialSize: plan.initialSize } : {}),
      contentType: plan.contentType,
      ...(plan.backup ? { backup: plan.backup } : {}),
      storageDomain: { id: domain.id },
    });
    if (!attached) {
      log.info('disk created', { diskId: disk.id, name: plan.diskName });
      await options.onCreated?.({ diskId: disk.id, transferId: null });
      disk = await client.waitForDiskOk(disk.id, { signal: control.cancelSignal, timeoutMs });
    }

    const transfer = attached?.transfer ?? await client.createTransfer({
      diskId: disk.id,
      direction: 'upload',
      ...(plan.transferFormat ? { format: plan.transferFormat } : {}),
      ...(tuning.inactivityTimeout !== undefined ? { inactivityTimeout: tuning.inactivityTimeout } : {}),
    });
    transferId = transfer.id;
    if (!attached) await options.onCreated?.({ diskId: disk.id, transferId });
    session = await openSession(deps, transfer, version, tuning, control, tracker);
    const s = session;
    tracker.setConnection(Math.min(tuning.workers ?? 4, s.imageio.maxWriters), s.imageio.viaProxy);

    // The FILE backend writes the file's bytes over whatever the new volume holds, so zeros must be
    // written; a new sparse or cow disk read through NBD is all zeros, so zero runs are skipped.
    const zeroMode: ZeroMode = plan.transferFormat === 'raw' && (plan.sparse || plan.format === 'cow') ? 'skip' : 'patch';
    const wirePlan = plan.transferFormat === 'raw' ? plan0 : planRanges([{ start: 0, length: probe.fileSize, zero: false }]);
    const done = new RangeSet();
    const digest = (spec.verify ?? true) ? await TransferDigest.create(plan.transferFormat === 'raw' ? probe.virtualSize : probe.fileSize, { thread: deps.hashThread ?? false }) : null;
    digest?.addZeroRanges(wirePlan);
    const sent = digest ? digest.source(source) : source;
    await runDataPhase({
      plan: wirePlan,
      control,
      tracker,
      session: s,
      done,
      recoverTicket: (attempt) => recoverTransferTicket(deps, transfer.id, control.cancelSignal, timeoutMs, attempt),
      run: async (remaining, signal) => {
        const before = done.size;
        const wireBefore = tracker.wire;
        await uploadRanges({
          session: s.imageio,
          source: options.throttle ? throttledSource(sent, options.throttle, () => control.runSignal) : sent,
          plan: remaining,
          zeroMode,
          ...(tuning.workers !== undefined ? { workers: tuning.workers } : {}),
          signal,
          onProgress: (p) => {
            tracker.update(before + p.bytesDone, wireBefore + p.bytesOnWire);
          },
          onRangeDone: (r) => done.add(r.start, r.start + r.length),
        });
      },
      onPause: () => client.pauseTransfer(transfer.id),
      onResume: async () => {
        await client.resumeTransfer(transfer.id);
        await client.waitForTransferReady(transfer.id, { signal: control.cancelSignal, timeoutMs });
      },
    });
    await source.checkUnchanged();

    tracker.setState('finalizing');
    // Before finalize: a mismatch fails the upload, which cancels it, so the disk is never kept as good.
    const verification = digest
      ? await digest.verify(s.imageio, control.cancelSignal, { local: `the local image ${probe.name}`, consequence: 'The upload was cancelled so that the disk is not kept.' })
      : VERIFY_OFF;
    if (verification.verified === null && digest) log.info(verification.note);
    s.keepAlive.stop();
    await s.imageio.close();
    await client.finishTransfer(transfer.id, { diskId: disk.id, direction: 'upload', signal: control.cancelSignal, timeoutMs });
    tracker.setState('completed');
    const snap = tracker.snapshot();
    return {
      diskId: disk.id,
      diskName: plan.diskName,
      storageDomain: domain.name,
      format: plan.format,
      virtualSize: probe.virtualSize,
      dataBytes,
      ...completedRun({
        direction: 'upload',
        source: spec.path,
        target: `${plan.diskName} (${disk.id}) on ${domain.name}`,
        localFormat: probe.format,
        virtualSize: probe.virtualSize,
        dataBytes,
        bytesOnWire: snap.bytesOnWire,
        verification,
        startedAt,
        finishedAt: deps.now(),
        elapsedMs: snap.elapsedMs,
        dataPhaseMs: tracker.dataPhaseMs,
        viaProxy: s.imageio.viaProxy,
      }),
    };
  } catch (err) {
    tracker.setState(control.cancelled ? 'cancelled' : 'failed');
    // Detached: the transfer stays on the engine (paused) for a later run to re-attach.
    if (control.detached) throw new DiskFerryError('cancelled', 'The upload was stopped; its transfer stays paused on the engine.', { cause: err, retryable: false });
    const deleted = disk ? await cleanUpFailedUpload(deps, disk, transferId, version, timeoutMs) : null;
    const e = control.cancelled ? new DiskFerryError('cancelled', 'The upload was cancelled.', { cause: err, retryable: false }) : asDiskFerryError(err);
    throw withContext(e, disk ? diskFateAfterUploadFailure(disk.name, deleted) : '');
  } finally {
    session?.keepAlive.stop();
    await session?.imageio.close().catch(() => {});
    await source.close().catch(() => {});
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
    log.warn('cleanup after a failed upload did not complete', { diskId: disk.id, error: (err as Error).message });
    return false;
  }
}

function fmtGiB(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}
