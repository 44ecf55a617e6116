import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RangeSet } from '../../../shared/range-set.js';
import { DiskFerryError, asDiskFerryError } from '../errors.js';
import { ensureFreeSpace } from '../fs/free-space.js';
import { planRanges, planTotals, type PlannedRange } from '../imageio/plan.js';
import { downloadRanges } from '../imageio/download.js';
import type { Disk } from '../ovirt/types.js';
import { supportsFormat } from '../ovirt/versions.js';
import { DEFAULT_OUTPUT_FORMAT, downloadPath } from '../plan/download-rules.js';
import { nameSearch } from '../ovirt/urls.js';
import type { TransferDeps, TransferOptions } from './deps.js';
import { PartFile, ensureTargetFree } from './part-file.js';
import { qcow2Layout } from '../image/qcow2-layout.js';
import { Qcow2PartTarget, type PartTarget } from '../image/qcow2-writer.js';
import { Qcow2FileSource } from '../image/qcow2-source.js';
import { RawFileSource, type LocalImageSource } from '../image/raw-source.js';
import { TransferDigest, VERIFY_OFF } from '../image/verify.js';
import { completedRun, type CompletedRun } from './transfer-report.js';
import { beginRun, recoverTransferTicket, openSession, runDataPhase, type OpenSession } from './session.js';

/** Bytes written between two journal saves (besides the 2 s timer). */
const JOURNAL_EVERY_BYTES = 128 * 1024 * 1024;

/** What to download where. */
export interface DownloadSpec {
  /** Disk id or exact name. */
  readonly disk: string;
  /** The output file; or a folder, where the file is named after the disk. */
  readonly output: { readonly file: string } | { readonly dir: string };
  /** Replace an existing complete file. */
  readonly overwrite?: boolean;
  /** Continue an interrupted download from its journal (default true). */
  readonly resume?: boolean;
  /** Output format: sparse raw (default) or a sparse qcow2 v3 written natively. */
  readonly format?: 'raw' | 'qcow2';
  /** Compare the blkhash of the data with the server's before finalize (default true; needs imageio 2). */
  readonly verify?: boolean;
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
  throw new DiskFerryError('not-found', `No disk '${idOrName}' on this engine. List them with diskferry disks.`, { retryable: false });
}

/**
 * Downloads a disk as a sparse raw file: create a download transfer, read the server's extents, fetch
 * only the data ranges with N workers into NAME.part (zero ranges stay holes), keep a journal so an
 * interrupted run fetches only what is missing, always finalize (downloads are never cancelled), and
 * rename to NAME only when every byte is there.
 */
export async function downloadDisk(
  deps: TransferDeps,
  spec: DownloadSpec,
  options: TransferOptions = {},
): Promise<DownloadResult> {
  const { control, tuning, tracker, timeoutMs } = beginRun(deps, options);
  const { client, log } = deps;
  const startedAt = deps.now();
  const format = spec.format ?? DEFAULT_OUTPUT_FORMAT;
  const version = await client.version();
  const disk = await resolveDisk(deps, spec.disk, control.cancelSignal);
  if (disk.status !== 'ok')
    throw new DiskFerryError('conflict', `Disk '${disk.name}' is ${disk.status ?? 'in an unknown state'}; it can be downloaded only when it is ok. Try again later.`);
  const path = downloadPath(spec.output, disk, format);
  await ensureTargetFree(path, spec.overwrite ?? false);
  const nbd = supportsFormat(version);
  // Without the NBD backend a cow disk comes as its qcow2 volume, not as guest data to re-encode.
  if (format === 'qcow2' && !nbd && disk.format === 'cow')
    throw new DiskFerryError('bad-input', `This engine (${version.full}) sends the cow disk '${disk.name}' as its qcow2 volume, not as guest data, so it cannot be written as a new qcow2. Download it as raw: the file is then that qcow2 volume.`, {
      retryable: false,
    });

  const transfer = await client.createTransfer({
    diskId: disk.id,
    direction: 'download',
    ...(nbd ? { format: 'raw' as const } : {}),
    ...(tuning.inactivityTimeout !== undefined ? { inactivityTimeout: tuning.inactivityTimeout } : {}),
  });
  let session: OpenSession | null = null;
  let part: PartTarget | null = null;
  let journalTimer: unknown = null;
  try {
    await options.onCreated?.({ diskId: disk.id, transferId: transfer.id });
    session = await openSession(deps, transfer, version, tuning, control, tracker);
    const s = session;
    // The first request after OPTIONS may already meet an expired ticket (legacy servers read the size with a GET).
    const extents = await withTicketRecovery(
      async () => (s.imageio.features.extents ? s.imageio.extents(control.cancelSignal) : [{ start: 0, length: await s.imageio.size(control.cancelSignal), zero: false }]),
      (attempt) => recoverTransferTicket(deps, transfer.id, control.cancelSignal, timeoutMs, attempt),
    );
    const size = extents.reduce((end, e) => Math.max(end, e.start + e.length), 0);
    // Guest data (NBD) always spans exactly the disk's virtual size: anything else would give a short
    // or padded copy passed off as the disk, so nothing is written.
    if (disk.provisionedSize !== null && nbd && size !== disk.provisionedSize)
      throw new DiskFerryError(
        'protocol',
        `The data server describes ${size} bytes, but disk '${disk.name}' has ${disk.provisionedSize}. Nothing was written. Ask the oVirt administrator to check the disk and its imageio server, then try again.`,
        { retryable: false },
      );
    tracker.setTotal(size);
    tracker.setConnection(Math.min(tuning.workers ?? 4, s.imageio.maxReaders), s.imageio.viaProxy);
    const plan = planRanges(extents);
    // A qcow2 target's layout follows from the extents; the journal resumes only into the same layout.
    const layout = format === 'qcow2' ? qcow2Layout(size, extents.filter((e) => !e.zero)) : null;
    const file = await PartFile.open(path, layout?.fileSize ?? size, layout ? `${disk.id}:${size}:qcow2:${layout.id}` : `${disk.id}:${size}`, {
      resume: spec.resume ?? true,
      ...(deps.files ? { files: deps.files } : {}),
    });
    part = file; // closed by `finally` even if writing the qcow2 metadata fails
    part = layout ? await Qcow2PartTarget.attach(file, layout) : file;
    const p = part;
    const resumedBytes = resumedData(plan, p);
    if (resumedBytes > 0) log.info('resuming a download', { disk: disk.name, bytesPresent: resumedBytes });
    // Not enough room for the data still to come: say so before writing, not when the disk fills.
    await ensureFreeSpace(dirname(path), planTotals(plan).dataBytes - resumedBytes, `Downloading disk '${disk.name}'`);
    journalTimer = deps.timers.setInterval(() => void p.saveJournal().catch(() => {}), 2000);

    // Zero ranges need nothing: the part file is sparse. They count as done at once.
    for (const r of plan) if (r.zero) p.markDone(r.start, r.length);
    const digest = (spec.verify ?? true) ? await TransferDigest.create(size, { thread: deps.hashThread ?? false }) : null;
    if (digest) {
      digest.addZeroRanges(plan);
      // Only the bytes an earlier run already wrote are read back; the rest is hashed as it arrives.
      const present = plan.filter((r) => !r.zero).flatMap((r) => [...p.done.within(r.start, r.start + r.length)]);
      if (present.length > 0) await withLocalSource(PartFile.partPath(path), layout !== null, (src) => digest.addFrom(src, present, control.cancelSignal));
    }
    // Besides every 2 s, the journal is saved (after an fdatasync) every JOURNAL_EVERY_BYTES written:
    // the data then goes to the disk while the download runs, instead of all at the end.
    let unsaved = 0;
    let saving = false;
    await runDataPhase({
      plan,
      control,
      tracker,
      session: s,
      done: p.done,
      recoverTicket: (attempt) => recoverTransferTicket(deps, transfer.id, control.cancelSignal, timeoutMs, attempt),
      run: async (remaining, signal) => {
        const before = p.done.size;
        const wireBefore = tracker.wire;
        // One positional write at a time: ext4 serialises buffered writes to a file anyway, and
        // parallel writers stalled each other (one the kernel throttles sleeps holding the lock).
        let lastWrite: Promise<unknown> = Promise.resolve();
        await downloadRanges({
          session: s.imageio,
          plan: remaining,
          // Every piece on disk is journaled, not just whole ranges: a range can be 128 MiB (or the
          // whole image on a legacy server), and an interrupted run must keep what it already has.
          sink: {
            write: async (offset, data) => {
              await options.throttle?.(data.length, signal);
              // The write is queued first, so hashing on this thread overlaps the copy into the file
              // (both only read `data`, which stays ours until this function returns).
              const written = lastWrite.then(() => p.write(offset, data));
              lastWrite = written.catch(() => {});
              try {
                digest?.add(offset, data);
              } finally {
                await written;
              }
              p.markDone(offset, data.length);
              unsaved += data.length;
              if (unsaved >= JOURNAL_EVERY_BYTES && !saving) {
                unsaved = 0;
                saving = true;
                void p
                  .saveJournal()
                  .catch(() => {})
                  .finally(() => (saving = false));
              }
            },
          },
          ...(tuning.workers !== undefined ? { workers: tuning.workers } : {}),
          signal,
          onProgress: (prog) => {
            tracker.update(before + prog.bytesDone, wireBefore + prog.bytesOnWire);
          },
          onRangeDone: (r) => p.markDone(r.start, r.length),
        });
      },
    });
    deps.timers.clearInterval(journalTimer);
    journalTimer = null;
    // The data's fsync (inside saveJournal) runs while the server computes its checksum: both take
    // a while on a large image, and neither needs the other.
    const journaled = p.saveJournal();
    journaled.catch(() => {}); // awaited below, on every path
    // Right after the data: the engine ends a fully read download by itself once its ticket is idle.
    // A mismatch keeps the file as .part and drops its journal (after the save in flight, so nothing
    // rewrites it), so the next run downloads everything again instead of resuming.
    const verification = digest && p.done.covers(0, size)
      ? await digest
          .verify(s.imageio, control.cancelSignal, {
            local: `the downloaded file`,
            consequence: `The file was kept as ${PartFile.partPath(path)}, but it is not a good copy of disk '${disk.name}'. Download the disk again: the next run starts from the beginning.`,
            whenTicketGone: async () => {
              const t = await client.transfer(transfer.id, control.cancelSignal).catch(() => null);
              const ended = !t || t.phase === 'finalizing_success' || t.phase === 'finished_success';
              return ended ? 'not verified: the engine ended the transfer before the server computed its checksum' : null;
            },
          })
          .catch(async (err: unknown) => {
            await journaled.catch(() => {});
            if (err instanceof DiskFerryError && err.code === 'verification-failed') {
              await p.saveJournal();
              await rm(PartFile.journalPath(path), { force: true });
            }
            throw err;
          })
      : VERIFY_OFF;
    if (verification.verified === null && digest) log.info(verification.note);
    await journaled;
    await p.saveJournal();
    if (!p.done.covers(0, size)) throw new DiskFerryError('internal', 'The download ended with ranges missing; the partial file was kept. Run the download again to fetch them.');

    tracker.setState('finalizing');
    s.keepAlive.stop();
    await s.imageio.close();
    await client.finishTransfer(transfer.id, { diskId: disk.id, direction: 'download', signal: control.cancelSignal, timeoutMs });
    await p.complete();
    part = null;
    tracker.setState('completed');
    const snap = tracker.snapshot();
    const dataBytes = planTotals(plan).dataBytes;
    return {
      diskId: disk.id,
      diskName: disk.name,
      path,
      virtualSize: size,
      dataBytes,
      resumedBytes,
      format,
      ...completedRun({
        direction: 'download',
        source: `${disk.name} (${disk.id})`,
        target: path,
        localFormat: format,
        virtualSize: size,
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
    // Downloads always end with finalize, never cancel: the disk goes back to ok either way.
    const released = await client.finishTransfer(transfer.id, { diskId: disk.id, direction: 'download', signal: AbortSignal.timeout(120_000), timeoutMs: 120_000 }).then(
      () => true,
      async (e: unknown) => {
        log.warn('finalizing the failed download did not complete', { error: (e as Error).message });
        // A download that ended in failure (finished_failure, e.g. after a system cancel) still
        // unlocks its disk (reference/engine.md §3.3): the disk, not the phase, says whether it is free.
        const now = await client.disk(disk.id, AbortSignal.timeout(30_000)).catch(() => null);
        return now?.status === 'ok';
      },
    );
    const unverified = err instanceof DiskFerryError && err.code === 'verification-failed';
    // Saved now, not only when `finally` closes the file: the message must not promise a resume the journal cannot give.
    const journaled = part && !unverified ? await part.saveJournal().then(() => true, () => false) : false;
    const kept = journaled ? ` The partial file ${PartFile.partPath(path)} was kept; run the same download again to continue where it stopped.` : '';
    const e = control.cancelled ? new DiskFerryError('cancelled', 'The download was cancelled.', { cause: err, retryable: false }) : asDiskFerryError(err);
    const engine = e.code === 'cancelled' || e.code === 'verification-failed' ? '' : released
      ? ` The transfer on the engine was closed: disk '${disk.name}' is not locked.`
      : ` The transfer on the engine could not be closed: disk '${disk.name}' may stay locked until the engine ends the transfer by itself.`;
    throw new DiskFerryError(e.code, `${e.message}${kept}${engine}`, { cause: e, retryable: e.retryable });
  } finally {
    if (journalTimer !== null) deps.timers.clearInterval(journalTimer);
    session?.keepAlive.stop();
    await session?.imageio.close().catch(() => {});
    await part?.close();
  }
}

/** Runs `fn`; when imageio refuses the ticket (403), asks the engine to recover it and tries again, a few times. */
async function withTicketRecovery<T>(fn: () => Promise<T>, recover: (attempt: number) => Promise<boolean>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof DiskFerryError) || err.code !== 'ticket-gone' || attempt > 3 || !(await recover(attempt))) throw err;
    }
  }
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

function resumedData(plan: readonly PlannedRange[], part: { readonly done: RangeSet }): number {
  let bytes = 0;
  for (const r of plan) if (!r.zero) for (const d of part.done.within(r.start, r.start + r.length)) bytes += d.end - d.start;
  return bytes;
}
