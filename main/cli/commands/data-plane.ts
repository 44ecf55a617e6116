import { openImageio } from '../../engine/imageio/session.js';
import { planRanges, planTotals } from '../../engine/imageio/plan.js';
import { uploadRanges } from '../../engine/imageio/upload.js';
import { downloadRanges } from '../../engine/imageio/download.js';
import { probeImage } from '../../engine/image/probe.js';
import { RawFileSource } from '../../engine/image/raw-source.js';
import { PartFile, ensureTargetFree } from '../../engine/transfer/part-file.js';
import { ProgressTracker } from '../../engine/transfer/progress-tracker.js';
import { formatBytes, formatDuration } from '../../../shared/format.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../password.js';

interface DataPlaneValues {
  'transfer-url'?: string;
  'proxy-url'?: string;
  'ca-file'?: string;
  insecure?: boolean;
  'system-trust'?: boolean;
  'use-proxy'?: boolean;
}

async function open(ctx: CliContext, values: DataPlaneValues) {
  if (!values['ca-file'] && !values.insecure) throw new UsageError('--ca-file F is required with --transfer-url (the CA that signed the imageio server).');
  const trust = await ctx.trustFrom(values, null);
  return openImageio({
    transferUrl: values['transfer-url'] ?? null,
    proxyUrl: values['proxy-url'] ?? null,
    trust,
    preferProxy: values['use-proxy'] ?? false,
    log: ctx.log,
    signal: ctx.signal,
  });
}

/**
 * Uploads one file to an existing imageio ticket (no engine involved): the file's bytes as they are,
 * zero runs sent as PATCH zero because the target's content is unknown.
 */
export async function uploadToTicket(ctx: CliContext, values: DataPlaneValues, file: string, workers: number | undefined): Promise<number> {
  const probe = await probeImage(file);
  const session = await open(ctx, values);
  const source = await RawFileSource.open(file);
  const printer = ctx.progress();
  const tracker = new ProgressTracker(Date.now, (p) => printer.update(file, p));
  try {
    const plan = planRanges(await source.extents({ signal: ctx.signal }));
    tracker.setTotal(probe.fileSize);
    tracker.setState('transferring');
    const r = await uploadRanges({
      session,
      source,
      plan,
      zeroMode: 'patch',
      ...(workers !== undefined ? { workers } : {}),
      signal: ctx.signal,
      onProgress: (p) => tracker.update(p.bytesDone, p.bytesOnWire),
    });
    await source.checkUnchanged();
    tracker.setState('completed');
    printer.finish();
    const snap = tracker.snapshot();
    ctx.result(`Uploaded ${file} to ${session.url}: ${formatBytes(probe.fileSize)} (${formatBytes(planTotals(plan).dataBytes)} of data) in ${formatDuration(snap.elapsedMs / 1000)}.`, {
      file,
      size: probe.fileSize,
      on_wire: r.bytesOnWire,
      elapsed: snap.elapsedMs / 1000,
    });
    return 0;
  } finally {
    await source.close();
    await session.close();
  }
}

/** Downloads an existing imageio ticket into a sparse file (no engine involved). */
export async function downloadFromTicket(ctx: CliContext, values: DataPlaneValues, output: string, workers: number | undefined, overwrite: boolean): Promise<number> {
  await ensureTargetFree(output, overwrite);
  const session = await open(ctx, values);
  const printer = ctx.progress();
  const tracker = new ProgressTracker(Date.now, (p) => printer.update(output, p));
  let part: PartFile | null = null;
  try {
    const extents = session.features.extents ? await session.extents(ctx.signal) : [{ start: 0, length: await session.size(ctx.signal), zero: false }];
    const size = extents.reduce((end, e) => Math.max(end, e.start + e.length), 0);
    const plan = planRanges(extents);
    part = await PartFile.open(output, size, `ticket:${size}`, { resume: false });
    const p = part;
    tracker.setTotal(size);
    tracker.setState('transferring');
    await downloadRanges({
      session,
      plan,
      sink: { write: (offset, data) => p.write(offset, data) },
      ...(workers !== undefined ? { workers } : {}),
      signal: ctx.signal,
      onProgress: (pr) => tracker.update(pr.bytesDone, pr.bytesOnWire),
    });
    await p.complete();
    part = null;
    tracker.setState('completed');
    printer.finish();
    ctx.result(`Downloaded ${formatBytes(size)} from ${session.url} to ${output}.`, { path: output, size });
    return 0;
  } finally {
    await part?.close();
    await session.close();
  }
}
