import { LIMIT_OPTION, parseChoice, parseCommand, parseInactivityTimeout, parseRate, parseVerify, parseWorkers, required, uploadFlushEvery, VERIFY_OPTIONS } from '../args.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import type { OvirtClient } from '../../engine/ovirt/client.js';
import { probeImageOnce } from '../../engine/image/probe.js';
import { formatBytes, formatDuration, formatRate } from '../../../shared/format.js';
import { uploadToTicket } from '../data-plane.js';

/** `diskferry upload FILE… --storage-domain NAME …`, or the data-plane-only form with --transfer-url. */
export async function runUpload(ctx: CliContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    'storage-domain': { type: 'string', short: 's' },
    name: { type: 'string' },
    'disk-format': { type: 'string' },
    preallocated: { type: 'boolean' },
    workers: { type: 'string', short: 'w' },
    'inactivity-timeout': { type: 'string' },
    'use-proxy': { type: 'boolean' },
    'transfer-url': { type: 'string' },
    'proxy-url': { type: 'string' },
    'as-is': { type: 'boolean' },
    ...LIMIT_OPTION,
    resume: { type: 'boolean' },
    ...VERIFY_OPTIONS,
  });
  ctx.applyGlobals(values);
  if (positionals.length === 0) throw new UsageError('Name at least one image file to upload.');
  const workers = parseWorkers(values.workers);
  const verify = parseVerify(values);
  const throttle = ctx.throttle(parseRate(values.limit, '--limit'));
  if (values['transfer-url'] || values['proxy-url']) {
    if (positionals.length !== 1) throw new UsageError('The data-plane-only upload takes exactly one file.');
    return uploadToTicket(ctx, values, positionals[0]!, { ...(workers !== undefined ? { workers } : {}), asIs: values['as-is'] ?? false, verify, ...(throttle ? { throttle } : {}) });
  }
  if (values.resume && (values['transfer-url'] || values['proxy-url'])) throw new UsageError('--resume works through the engine, not with --transfer-url.');
  if (values['as-is']) throw new UsageError('--as-is works only with --transfer-url; through the engine, the engine version decides how a qcow2 is sent.');
  const storageDomain = required(values['storage-domain'], '--storage-domain NAME');
  if (values.name && positionals.length > 1) throw new UsageError('--name works with one file only; several files are named after themselves.');
  const diskFormat = parseChoice('disk-format', values['disk-format'], ['raw', 'cow'] as const);
  const inactivity = parseInactivityTimeout(values['inactivity-timeout']);
  const flush = uploadFlushEvery();

  // The engine's transfer and its rules are loaded here, not with the command: the data-plane-only
  // form above starts without them (docs/benchmarks.md).
  const [{ checkUploadDomain }, { uploadTarget }, { uploadImage }, { findResumable }] = await Promise.all([
    import('../../engine/plan/upload-rules.js'),
    import('../../engine/plan/upload-target.js'),
    import('../../engine/transfer/upload-image.js'),
    import('../upload-resume.js'),
  ]);
  const deps = await ctx.connect(values);
  // Once for all files: a wrong domain is one error, not one per file after notes about their names.
  const domain = await deps.client.storageDomain(storageDomain, ctx.signal);
  checkUploadDomain(domain);
  return ctx.eachTransfer(positionals, async (file, control, onProgress) => {
    // Probed once here; the upload reuses the probe while the file is unchanged.
    const probe = await probeImageOnce(file);
    const { target, notes } = uploadTarget(probe, domain, { storageDomain, diskName: values.name || undefined, diskFormat, preallocated: values.preallocated, verify });
    const note = (line: string) => ctx.io.stderr.write(`diskferry: note: ${line}\n`);
    for (const line of notes) note(line);
    const start = values.resume ? await findResumable(deps, probe, target.diskName, note, ctx.signal) : { kind: 'fresh' as const };
    if (start.kind === 'done') {
      const d = start.disk;
      ctx.result(`${file} was already uploaded to disk '${d.name}' (${d.id}); nothing was sent.`, { file, disk_id: d.id, disk_name: d.name, size: d.provisionedSize, on_wire: 0, resumed: true });
      return;
    }
    if (start.kind === 'fresh') await noteSameName(ctx, deps.client, target.diskName);
    const r = await ctx.recorded(deps, 'upload', (hooks) =>
      uploadImage(deps, target, {
        control,
        tuning: {
          ...(workers !== undefined ? { workers } : {}),
          ...(inactivity !== undefined ? { inactivityTimeout: inactivity } : {}),
          preferProxy: values['use-proxy'] ?? false,
          ...flush,
        },
        onProgress,
        ...(throttle ? { throttle } : {}),
        ...(start.kind === 'continue' ? { reattach: start.attachment } : {}),
        ...hooks,
      }),
    );
    const secs = r.elapsedMs / 1000;
    const kept = r.resumedBytes > 0 ? `, ${formatBytes(r.resumedBytes)} of it already on the server` : '';
    ctx.result(
      `Uploaded ${file} to disk '${r.diskName}' (${r.diskId}) on ${r.storageDomain}: ${formatBytes(r.virtualSize)} (${formatBytes(r.dataBytes)} of data${kept}) in ${formatDuration(secs)}, ${formatRate(r.virtualSize / Math.max(secs, 0.001))}${r.viaProxy ? ', through the engine proxy' : ''}; ${r.verification}.`,
      { file, disk_id: r.diskId, disk_name: r.diskName, storage_domain: r.storageDomain, size: r.virtualSize, data_bytes: r.dataBytes, resumed_bytes: r.resumedBytes, on_wire: r.bytesOnWire, elapsed: secs, data_phase: r.dataPhaseMs / 1000, via_proxy: r.viaProxy, digest: r.digest, verified: r.verified, verification: r.verification, report: r.report },
    );
  });
}

/** oVirt accepts two disks of one name, which are hard to tell apart later: say so before creating another. */
async function noteSameName(ctx: CliContext, client: OvirtClient, name: string): Promise<void> {
  const { nameSearch } = await import('../../engine/ovirt/urls.js');
  const same = await client.disks({ search: nameSearch(name), max: 10 }).then(
    (disks) => disks.filter((d) => d.name === name),
    () => [],
  );
  if (same.length > 0)
    ctx.io.stderr.write(`diskferry: note: the engine already has ${same.length === 1 ? 'a disk' : `${same.length} disks`} named '${name}' (${same.map((d) => d.id).join(', ')}); this upload creates another. Use --name to tell them apart.\n`);
}
