import { rm } from 'node:fs/promises';
import { rangedGetDispatcherFrom } from '../engine/imageio/connection.js';
import { openImageio, type ImageioSession } from '../engine/imageio/session.js';
import { planRanges, planTotals } from '../engine/imageio/plan.js';
import { uploadRanges } from '../engine/imageio/upload.js';
import { downloadRanges } from '../engine/imageio/download.js';
import { probeImage } from '../engine/image/probe.js';
import { openLocalSource } from '../engine/image/local-source.js';
import { qcow2Layout } from '../engine/image/qcow2-layout.js';
import { earlyChecksumWanted, hashThreadWanted, TransferDigest, VERIFY_OFF } from '../engine/image/verify.js';
import { JournaledTarget } from '../engine/transfer/journaled-target.js';
import { PartFile, ensureTargetFree } from '../engine/transfer/part-file.js';
import { realTimers } from '../engine/timers.js';
import { ProgressTracker } from '../engine/transfer/progress-tracker.js';
import { throttledSource } from '../engine/transfer/throttled-source.js';
import type { TransferOptions } from '../engine/transfer/deps.js';
import { DiskFerryError } from '../engine/errors.js';
import { formatBytes, formatDuration } from '../../shared/format.js';
import type { CliContext } from './context.js';
import { UsageError } from './errors.js';

interface DataPlaneValues {
  'transfer-url'?: string;
  'proxy-url'?: string;
  'ca-file'?: string;
  insecure?: boolean;
  'system-trust'?: boolean;
  'use-proxy'?: boolean;
}

async function open(ctx: CliContext, values: DataPlaneValues) {
  for (const name of ['transfer-url', 'proxy-url'] as const) {
    const url = values[name];
    // The address holds the ticket, a secret: it is not repeated in the message.
    if (url !== undefined && !/^https:\/\/[^/\s]+\/\S*$/i.test(url.trim()))
      throw new UsageError(`--${name} must be the https:// address of an imageio ticket, like https://HOST:54322/images/TICKET.`);
  }
  if (!values['ca-file'] && !values.insecure) throw new UsageError('--ca-file F is required with --transfer-url (the CA that signed the imageio server).');
  const trust = await ctx.trustFrom(values, null);
  return openImageio({
    transferUrl: values['transfer-url'] ?? null,
    proxyUrl: values['proxy-url'] ?? null,
    trust,
    preferProxy: values['use-proxy'] ?? false,
    proxy: ctx.proxy,
    log: ctx.log,
    signal: ctx.signal,
    rangedGets: rangedGetDispatcherFrom(process.env),
  });
}

/** How a data-plane-only upload reads the file and checks the result. */
export interface TicketUploadOptions {
  readonly workers?: number;
  /** Send a qcow2's container bytes instead of its guest data. */
  readonly asIs: boolean;
  readonly verify: boolean;
  /** `--limit RATE`. */
  readonly throttle?: TransferOptions['throttle'];
}

/**
 * Uploads one file to an existing imageio ticket (no engine involved): its guest data (a qcow2 is
 * read natively unless `asIs`), zero runs sent as PATCH zero because the target's content is unknown,
 * then the server's checksum compared with the one computed while sending.
 */
export async function uploadToTicket(ctx: CliContext, values: DataPlaneValues, file: string, options: TicketUploadOptions): Promise<number> {
  const probe = await probeImage(file);
  // Opened before the network, so a damaged qcow2 is refused first.
  const source = await openLocalSource(probe, { asIs: options.asIs });
  let session: ImageioSession | null = null;
  const printer = ctx.progress();
  const tracker = new ProgressTracker(Date.now, (p) => printer.update(file, p));
  try {
    session = await open(ctx, values);
    // A file bigger than the image behind the ticket cannot fit: said before a byte moves (the server's
    // refusal of the first range past its end read as a bug in DiskFerry).
    const room = await session.size(ctx.signal);
    if (source.size > room)
      throw new DiskFerryError('bad-input', `${file} is ${formatBytes(source.size)} (its virtual size), but the image behind this ticket is ${formatBytes(room)}: it does not fit. Upload it to a disk of at least ${formatBytes(source.size)}.`, {
        retryable: false,
        subject: { kind: 'file', name: file },
      });
    const plan = planRanges(await source.extents({ signal: ctx.signal }));
    const digest = options.verify ? await TransferDigest.create(source.size, { thread: hashThreadWanted(process.env) }) : null;
    digest?.addZeroRanges(plan);
    tracker.setTotal(source.size);
    tracker.setState('transferring');
    const hashed = digest ? digest.source(source) : source;
    const r = await uploadRanges({
      session,
      source: options.throttle ? throttledSource(hashed, options.throttle, () => ctx.signal) : hashed,
      plan,
      zeroMode: 'patch',
      ...(options.workers !== undefined ? { workers: options.workers } : {}),
      signal: ctx.signal,
      onProgress: (p) => tracker.update(p.bytesDone, p.bytesOnWire),
    });
    await source.checkUnchanged();
    const verification = digest
      ? await digest.verify(session, ctx.signal, { local: file, consequence: 'The data on the server is not what was read from the file; upload it again.' })
      : VERIFY_OFF;
    tracker.setState('completed');
    printer.finish();
    const snap = tracker.snapshot();
    const what = probe.format === 'qcow2' ? (options.asIs ? ' (the qcow2 file as it is)' : ' (the guest data of the qcow2 image)') : '';
    ctx.result(
      `Uploaded ${file}${what} to ${session.url}: ${formatBytes(source.size)} (${formatBytes(planTotals(plan).dataBytes)} of data) in ${formatDuration(snap.elapsedMs / 1000)}; ${verification.note}.`,
      { file, size: source.size, on_wire: r.bytesOnWire, elapsed: snap.elapsedMs / 1000, digest: verification.digest, verified: verification.verified, verification: verification.note },
    );
    return 0;
  } finally {
    await source.close();
    await session?.close();
  }
}

/** How a data-plane-only download writes and checks the file. */
export interface TicketDownloadOptions {
  readonly workers?: number;
  readonly overwrite: boolean;
  readonly format: 'raw' | 'qcow2';
  readonly verify: boolean;
  /** `--limit RATE`. */
  readonly throttle?: TransferOptions['throttle'];
}

/** Downloads an existing imageio ticket into a sparse raw or qcow2 file (no engine involved). */
export async function downloadFromTicket(ctx: CliContext, values: DataPlaneValues, output: string, options: TicketDownloadOptions): Promise<number> {
  // Into one named file: replacing it is the choice (keeping both is for disk downloads into a folder).
  await ensureTargetFree(output, options.overwrite, 'Give another --output file, or replace it with --if-exists overwrite.');
  const session = await open(ctx, values);
  const printer = ctx.progress();
  const tracker = new ProgressTracker(Date.now, (p) => printer.update(output, p));
  let target: JournaledTarget | null = null;
  try {
    const extents = session.features.extents ? await session.extents(ctx.signal) : [{ start: 0, length: await session.size(ctx.signal), zero: false }];
    const size = extents.reduce((end, e) => Math.max(end, e.start + e.length), 0);
    const plan = planRanges(extents);
    const layout = options.format === 'qcow2' ? qcow2Layout(size, extents.filter((e) => !e.zero)) : null;
    // The same writing as a download through the engine (one write at a time, the data synced every
    // 128 MiB while it moves), without a resume: a ticket has no disk to resume into.
    const t = (target = await JournaledTarget.open(output, { size, identity: `ticket:${size}`, layout, resume: false, timers: realTimers }));
    t.startSaving();
    const digest = options.verify ? await TransferDigest.create(size, { thread: hashThreadWanted(process.env) }) : null;
    digest?.addZeroRanges(plan);
    // A ticket's image does not change while it is read: the server may hash it while the data moves (an opt-in).
    if (digest && earlyChecksumWanted(process.env)) digest.askServerEarly(session, ctx.signal);
    tracker.setTotal(size);
    tracker.setState('transferring');
    await downloadRanges({
      session,
      plan,
      sink: {
        write: async (offset, data) => {
          await options.throttle?.(data.length, ctx.signal);
          await t.write(offset, data, digest);
        },
      },
      ...(options.workers !== undefined ? { workers: options.workers } : {}),
      signal: ctx.signal,
      onProgress: (pr) => tracker.update(pr.bytesDone, pr.bytesOnWire),
    });
    const verification = digest
      ? await digest.verify(session, ctx.signal, {
          local: 'the downloaded file',
          consequence: `The file was kept as ${PartFile.partPath(output)}, but it is not a good copy; download it again.`,
        })
      : VERIFY_OFF;
    await t.complete();
    target = null;
    tracker.setState('completed');
    printer.finish();
    ctx.result(`Downloaded ${formatBytes(size)} from ${session.url} to ${output} (${options.format}); ${verification.note}.`, {
      path: output,
      size,
      format: options.format,
      digest: verification.digest,
      verified: verification.verified,
      verification: verification.note,
    });
    return 0;
  } catch (err) {
    // Stopped (Ctrl-C): a ticket has no disk to resume into, so what was written is of no use to a
    // later run, and nothing was cancelled on the server (it said so, and left the .part behind).
    if (!ctx.signal.aborted || target === null) throw err;
    await target.close();
    target = null;
    await rm(PartFile.partPath(output), { force: true });
    await rm(PartFile.journalPath(output), { force: true });
    throw new DiskFerryError('cancelled', `The partial file was removed: a download from an imageio ticket cannot continue where it stopped, so running it again starts over. Nothing changed on the server; the ticket stays until it expires.`, { retryable: false });
  } finally {
    await target?.close();
    await session.close();
  }
}
