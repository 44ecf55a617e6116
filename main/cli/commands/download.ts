import { parseChoice, parseCommand, parseWorkers } from '../args.js';
import { required, type CliContext } from '../context.js';
import { UsageError } from '../password.js';
import { checkOutputFolder, DEFAULT_OUTPUT_FORMAT } from '../../engine/plan/download-rules.js';
import { downloadDisk } from '../../engine/transfer/download-disk.js';
import { formatBytes, formatDuration, formatRate } from '../../../shared/format.js';
import { downloadFromTicket } from './data-plane.js';
import { queueAndRunDownloads } from './queue-add.js';
import { parseVerify, VERIFY_OPTIONS } from '../verify-option.js';

/** `diskferry download DISK… --output DIR`, or the data-plane-only form with --transfer-url. */
export async function runDownload(ctx: CliContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    output: { type: 'string', short: 'o' },
    workers: { type: 'string', short: 'w' },
    overwrite: { type: 'boolean' },
    'no-resume': { type: 'boolean' },
    'inactivity-timeout': { type: 'string' },
    'use-proxy': { type: 'boolean' },
    'transfer-url': { type: 'string' },
    'proxy-url': { type: 'string' },
    all: { type: 'boolean' },
    search: { type: 'string' },
    'storage-domain': { type: 'string', short: 's' },
    format: { type: 'string' },
    ...VERIFY_OPTIONS,
  });
  ctx.applyGlobals(values);
  const workers = parseWorkers(values.workers);
  const output = required(values.output, '--output');
  if (values.all || values.search) return queueAndRunDownloads(ctx, values, output);
  const format = parseChoice('format', values.format, ['raw', 'qcow2'] as const) ?? DEFAULT_OUTPUT_FORMAT;
  const verify = parseVerify(values);
  if (values['transfer-url'] || values['proxy-url']) {
    if (positionals.length > 0) throw new UsageError('The data-plane-only download takes no disk names: --output is the file to write.');
    return downloadFromTicket(ctx, values, output, { ...(workers !== undefined ? { workers } : {}), overwrite: values.overwrite ?? false, format, verify });
  }
  if (positionals.length === 0) throw new UsageError('Name at least one disk (name or id) to download.');
  const inactivity = values['inactivity-timeout'] === undefined ? undefined : Number(values['inactivity-timeout']);
  if (inactivity !== undefined && (!Number.isInteger(inactivity) || inactivity < 0)) throw new UsageError('--inactivity-timeout takes whole seconds (0 disables it).');
  // Checked before a transfer is opened on the engine (which locks the disk) for nothing.
  await checkOutputFolder(output, `--output ${output}`).catch((err: unknown) => {
    throw new UsageError((err as Error).message);
  });

  const deps = await ctx.connect(values);
  return ctx.eachTransfer(positionals, async (disk, control, onProgress) => {
    const r = await downloadDisk(
      deps,
      { disk, output: { dir: output }, overwrite: values.overwrite ?? false, resume: !(values['no-resume'] ?? false), format, verify },
      {
        control,
        tuning: {
          ...(workers !== undefined ? { workers } : {}),
          ...(inactivity !== undefined ? { inactivityTimeout: inactivity } : {}),
          preferProxy: values['use-proxy'] ?? false,
        },
        onProgress,
      },
    );
    const secs = r.elapsedMs / 1000;
    ctx.result(
      `Downloaded disk '${r.diskName}' to ${r.path}: ${formatBytes(r.virtualSize)} (${formatBytes(r.dataBytes)} of data${r.resumedBytes ? `, ${formatBytes(r.resumedBytes)} kept from an earlier run` : ''}) in ${formatDuration(secs)}, ${formatRate(r.virtualSize / Math.max(secs, 0.001))}; ${r.verification}.`,
      { disk_id: r.diskId, disk_name: r.diskName, path: r.path, size: r.virtualSize, data_bytes: r.dataBytes, resumed_bytes: r.resumedBytes, on_wire: r.bytesOnWire, elapsed: secs, data_phase: r.dataPhaseMs / 1000, via_proxy: r.viaProxy, format: r.format, digest: r.digest, verified: r.verified, verification: r.verification, report: r.report },
    );
  });
}
