import { join } from 'node:path';
import { DiskFerryError, asDiskFerryError } from '../errors.js';
import { planRanges, planTotals, type PlannedRange } from '../imageio/plan.js';
import { downloadRanges } from '../imageio/download.js';
import type { Disk } from '../ovirt/types.js';
import { supportsFormat } from '../ovirt/versions.js';
import type { TransferDeps, TransferOptions } from './deps.js';
import { PartFile, ensureTargetFree } from './part-file.js';
import { beginRun, recoverTransferTicket, openSession, runDataPhase, type OpenSession } from './session.js';

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
}

/** What a download did. */
export interface DownloadResult {
  readonly diskId: string;
  readonly diskName: string;
  readonly path: string;
  readonly virtualSize: number;
  readonly dataBytes: number;
  /** Bytes already present from an earlier, interrupted run. */
  readonly resumedBytes: number;
  readonly bytesOnWire: number;
  readonly elapsedMs: number;
  /** Time spent moving data, without disk creation and finalize. */
  readonly dataPhaseMs: number;
  readonly viaProxy: boolean;
}

/** A file name for a disk: its name with characters that are unsafe on any OS replaced. */
export function fileNameForDisk(disk: Pick<Disk, 'name' | 'id'>, extension = 'raw'): string {
  // Control characters are as unsafe in file names as the reserved punctuation.
  // eslint-disable-next-line no-control-regex
  const base = (disk.name || disk.id).replace(/[<>:"/\\|?*\u0000-\u001f]/g, '_').replace(/^\.+/, '_').slice(0, 200);
  return `${base}.${extension}`;
}

/** Finds a disk by id, or by exact name (refusing ambiguous names). */
export async function resolveDisk(deps: TransferDeps, idOrName: string, signal?: AbortSignal): Promise<Disk> {
  const byId = /^[0-9a-f-]{36}$/i.test(idOrName) ? await deps.client.disk(idOrName, signal) : null;
  if (byId) return byId;
  const matches = (await deps.client.disks({ search: `name=${idOrName}` })).filter((d) => d.name === idOrName);
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
  const version = await client.version();
  const disk = await resolveDisk(deps, spec.disk, control.cancelSignal);
  if (disk.status !== 'ok')
    throw new DiskFerryError('conflict', `Disk '${disk.name}' is ${disk.status ?? 'in an unknown state'}; it can be downloaded only when it is ok. Try again later.`);
  const path = 'file' in spec.output ? spec.output.file : join(spec.output.dir, fileNameForDisk(disk));
  await ensureTargetFree(path, spec.overwrite ?? false);
  const nbd = supportsFormat(version);

  const transfer = await client.createTransfer({
    diskId: disk.id,
    direction: 'download',
    ...(nbd ? { format: 'raw' as const } : {}),
    ...(tuning.inactivityTimeout !== undefined ? { inactivityTimeout: tuning.inactivityTimeout } : {}),
  });
  let session: OpenSession | null = null;
  let part: PartFile | null = null;
  let journalTimer: unknown = null;
  try {
    session = await openSession(deps, transfer, version, tuning, control, tracker);
    const s = session;
    const extents = s.imageio.features.extents ? await s.imageio.extents(control.cancelSignal) : [{ start: 0, length: await s.imageio.size(control.cancelSignal), zero: false }];
    const size = extents.reduce((end, e) => Math.max(end, e.start + e.length), 0);
    if (disk.provisionedSize !== null && nbd && size !== disk.provisionedSize)
      log.warn('the data server reports a size different from the disk', { diskSize: disk.provisionedSize, serverSize: size });
    tracker.setTotal(size);
    tracker.setConnection(Math.min(tuning.workers ?? 4, s.imageio.maxReaders), s.imageio.viaProxy);
    const plan = planRanges(extents);
    part = await PartFile.open(path, size, `${disk.id}:${size}`, { resume: spec.resume ?? true });
    const p = part;
    const resumedBytes = resumedData(plan, p);
    if (resumedBytes > 0) log.info('resuming a download', { disk: disk.name, bytesPresent: resumedBytes });
    journalTimer = deps.timers.setInterval(() => void p.saveJournal().catch(() => {}), 2000);

    // Zero ranges need nothing: the part file is sparse. They count as done at once.
    for (const r of plan) if (r.zero) p.markDone(r.start, r.length);
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
        await downloadRanges({
          session: s.imageio,
          plan: remaining,
          // Every piece on disk is journaled, not just whole ranges: a range can be 128 MiB (or the
          // whole image on a legacy server), and an interrupted run must keep what it already has.
          sink: {
            write: async (offset, data) => {
              await p.write(offset, data);
              p.markDone(offset, data.length);
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
    return {
      diskId: disk.id,
      diskName: disk.name,
      path,
      virtualSize: size,
      dataBytes: planTotals(plan).dataBytes,
      resumedBytes,
      bytesOnWire: snap.bytesOnWire,
      elapsedMs: snap.elapsedMs,
      dataPhaseMs: tracker.dataPhaseMs,
      viaProxy: s.imageio.viaProxy,
    };
  } catch (err) {
    tracker.setState(control.cancelled ? 'cancelled' : 'failed');
    // Downloads always end with finalize, never cancel: the disk goes back to ok either way.
    await client.finishTransfer(transfer.id, { diskId: disk.id, direction: 'download', signal: AbortSignal.timeout(120_000), timeoutMs: 120_000 }).catch((e: unknown) => {
      log.warn('finalizing the failed download did not complete', { error: (e as Error).message });
    });
    const kept = part ? ` The partial file ${PartFile.partPath(path)} was kept; run the same download again to continue where it stopped.` : '';
    const e = control.cancelled ? new DiskFerryError('cancelled', 'The download was cancelled.', { cause: err, retryable: false }) : asDiskFerryError(err);
    throw new DiskFerryError(e.code, `${e.message}${kept}`, { cause: e, retryable: e.retryable });
  } finally {
    if (journalTimer !== null) deps.timers.clearInterval(journalTimer);
    session?.keepAlive.stop();
    await session?.imageio.close().catch(() => {});
    await part?.close();
  }
}

function resumedData(plan: readonly PlannedRange[], part: PartFile): number {
  let bytes = 0;
  for (const r of plan) if (!r.zero) for (const d of part.done.within(r.start, r.start + r.length)) bytes += d.end - d.start;
  return bytes;
}
