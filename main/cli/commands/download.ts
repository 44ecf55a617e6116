import { outputDir, parseCommand, parseDownloadChoices, parseInactivityTimeout, parseWorkers, required, VERIFY_OPTIONS, type GlobalValues } from '../args.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { downloadDisk } from '../../engine/transfer/download-disk.js';
import { formatBytes, formatDuration, formatRate } from '../../../shared/format.js';
import { downloadFromTicket } from '../data-plane.js';
import { downloadJob, engineKey, findDisks, submitJobs } from '../queue/jobs.js';
import { liveRunPid, queuePaths } from '../queue/ports.js';
import { runQueueUntilIdle } from '../queue/run.js';

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
  const { format, verify } = parseDownloadChoices(values);
  if (values['transfer-url'] || values['proxy-url']) {
    if (positionals.length > 0) throw new UsageError('The data-plane-only download takes no disk names: --output is the file to write.');
    return downloadFromTicket(ctx, values, output, { ...(workers !== undefined ? { workers } : {}), overwrite: values.overwrite ?? false, format, verify });
  }
  if (positionals.length === 0) throw new UsageError('Name at least one disk (name or id) to download.');
  const inactivity = parseInactivityTimeout(values['inactivity-timeout']);
  // Checked before a transfer is opened on the engine (which locks the disk) for nothing.
  await outputDir(output);

  const deps = await ctx.connect(values);
  return ctx.eachTransfer(positionals, async (disk, control, onProgress) => {
    const r = await ctx.recorded(deps, 'download', (hooks) =>
      downloadDisk(
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
          ...hooks,
        },
      ),
    );
    const secs = r.elapsedMs / 1000;
    ctx.result(
      `Downloaded disk '${r.diskName}' to ${r.path}: ${formatBytes(r.virtualSize)} (${formatBytes(r.dataBytes)} of data${r.resumedBytes ? `, ${formatBytes(r.resumedBytes)} kept from an earlier run` : ''}) in ${formatDuration(secs)}, ${formatRate(r.virtualSize / Math.max(secs, 0.001))}; ${r.verification}.`,
      { disk_id: r.diskId, disk_name: r.diskName, path: r.path, size: r.virtualSize, data_bytes: r.dataBytes, resumed_bytes: r.resumedBytes, on_wire: r.bytesOnWire, elapsed: secs, data_phase: r.dataPhaseMs / 1000, via_proxy: r.viaProxy, format: r.format, digest: r.digest, verified: r.verified, verification: r.verification, report: r.report },
    );
  });
}

/**
 * `diskferry download --all --storage-domain NAME --output DIR` / `download --search Q --output DIR`:
 * queues every matching disk (to start now) and runs the queue until it is idle. With a `queue run`
 * already active, the jobs are handed to it instead.
 */
async function queueAndRunDownloads(
  ctx: CliContext,
  values: GlobalValues & {
    all?: boolean | undefined;
    search?: string | undefined;
    'storage-domain'?: string | undefined;
    overwrite?: boolean | undefined;
    workers?: string | undefined;
    format?: string | undefined;
    verify?: boolean | undefined;
    'no-verify'?: boolean | undefined;
  },
  output: string,
): Promise<number> {
  const choices = parseDownloadChoices(values);
  const dir = await outputDir(output);
  const key = await engineKey(ctx, values);
  const deps = await ctx.connect(values);
  const disks = await findDisks(deps, { all: values.all ?? false, search: values.search, storageDomain: values['storage-domain'] });
  if (disks.length === 0) throw new UsageError('No disk matches; nothing was queued. List them with diskferry disks --search QUERY.');
  const workers = parseWorkers(values.workers) ?? null;
  await submitJobs(ctx, disks.map((d) => downloadJob(key, d, dir, values.overwrite ?? false, { priority: 0, start: 'now', workers }, choices)));
  if ((await liveRunPid(queuePaths())) !== null) return 0;
  return runQueueUntilIdle(ctx, values);
}
