import {
  IF_EXISTS_OPTIONS,
  LIMIT_OPTION,
  outputDir,
  parseCommand,
  parseDownloadChoices,
  parseIfExists,
  parseInactivityTimeout,
  parseRate,
  parseWorkers,
  required,
  VERIFY_OPTIONS,
  type GlobalValues,
  type IfExists,
} from '../args.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import type { DownloadSpec } from '../../engine/transfer/download-disk.js';
import { formatBytes, formatDuration, formatRate } from '../../../shared/format.js';
import { downloadFromTicket } from '../data-plane.js';
import { earlyChecksumWanted } from '../../engine/image/verify.js';
import type { Disk } from '../../engine/ovirt/types.js';
import type { TransferDeps } from '../../engine/transfer/deps.js';
import { join } from 'node:path';

/** `diskferry download DISK… --output DIR`, or the data-plane-only form with --transfer-url. */
export async function runDownload(ctx: CliContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    output: { type: 'string', short: 'o' },
    workers: { type: 'string', short: 'w' },
    ...IF_EXISTS_OPTIONS,
    'no-resume': { type: 'boolean' },
    'inactivity-timeout': { type: 'string' },
    'use-proxy': { type: 'boolean' },
    'transfer-url': { type: 'string' },
    'proxy-url': { type: 'string' },
    all: { type: 'boolean' },
    search: { type: 'string' },
    'storage-domain': { type: 'string', short: 's' },
    format: { type: 'string' },
    ...LIMIT_OPTION,
    ...VERIFY_OPTIONS,
  });
  ctx.applyGlobals(values);
  const workers = parseWorkers(values.workers);
  const output = required(values.output, '--output');
  const limit = parseRate(values.limit, '--limit');
  const ifExists = parseIfExists(values);
  if (values.all || values.search) return queueAndRunDownloads(ctx, values, output, ifExists);
  const { format, verify } = parseDownloadChoices(values);
  const throttle = ctx.throttle(limit);
  if (values['transfer-url'] || values['proxy-url']) {
    if (positionals.length > 0) throw new UsageError('The data-plane-only download takes no disk names: --output is the file to write.');
    if (ifExists === 'rename' || ifExists === 'skip') throw new UsageError(`--if-exists ${ifExists} is for disk downloads into a folder; --output names the one file here (--if-exists overwrite replaces it).`);
    return downloadFromTicket(ctx, values, output, { ...(workers !== undefined ? { workers } : {}), overwrite: ifExists === 'overwrite', format, verify, ...(throttle ? { throttle } : {}) });
  }
  if (positionals.length === 0) throw new UsageError('Name at least one disk (name or id) to download.');
  const inactivity = parseInactivityTimeout(values['inactivity-timeout']);
  // Checked before a transfer is opened on the engine (which locks the disk) for nothing.
  await outputDir(output);

  // The engine's transfer and the queue are loaded here, not with the command: the data-plane-only
  // form above starts without them (docs/benchmarks.md).
  const [{ downloadDisk }, { reportSkipped }] = await Promise.all([import('../../engine/transfer/download-disk.js'), import('../queue/jobs.js')]);
  const deps = await ctx.connect(values);
  const taken = new Set<string>();
  return ctx.eachTransfer(positionals, async (disk, control, onProgress) => {
    const place = await placeDownload(deps, disk, output, ifExists, format, taken, ctx.signal);
    if ('skipped' in place) return reportSkipped(ctx, [place.skipped]);
    const r = await ctx.recorded(deps, 'download', (hooks) =>
      downloadDisk(
        // A plain download is never paused: it may ask for the server's checksum early (an opt-in).
        { ...deps, earlyChecksum: earlyChecksumWanted(process.env) },
        { ...place, resume: !(values['no-resume'] ?? false), format, verify },
        {
          control,
          tuning: {
            ...(workers !== undefined ? { workers } : {}),
            ...(inactivity !== undefined ? { inactivityTimeout: inactivity } : {}),
            preferProxy: values['use-proxy'] ?? false,
          },
          onProgress,
          onNote: (note) => ctx.io.stderr.write(`diskferry: note: ${note}\n`),
          ...(throttle ? { throttle } : {}),
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
 * Where one disk is downloaded by the --if-exists rule (the engine's, as the window's): `fail` and
 * `overwrite` are the run's to apply; `rename` and `skip` look at the folder (and at the files this
 * command already chose) first.
 */
async function placeDownload(
  deps: TransferDeps,
  disk: string,
  dir: string,
  ifExists: IfExists,
  format: 'raw' | 'qcow2',
  taken: Set<string>,
  signal: AbortSignal,
): Promise<Pick<DownloadSpec, 'disk' | 'output' | 'overwrite'> | { skipped: { disk: Disk; path: string } }> {
  if (ifExists === 'fail' || ifExists === 'overwrite') return { disk, output: { dir }, overwrite: ifExists === 'overwrite' };
  const [{ resolveDisk }, { downloadFileName, targetPath }] = await Promise.all([import('../../engine/transfer/download-disk.js'), import('../../engine/plan/download-rules.js')]);
  const d = await resolveDisk(deps, disk, signal);
  const fileName = downloadFileName(d, format);
  const target = await targetPath(dir, fileName, ifExists, taken);
  if (!target) return { skipped: { disk: d, path: join(dir, fileName) } };
  taken.add(target.path);
  return { disk: d.id, output: { file: target.path }, overwrite: target.overwrite };
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
    workers?: string | undefined;
    limit?: string | undefined;
    format?: string | undefined;
    verify?: boolean | undefined;
    'no-verify'?: boolean | undefined;
  },
  output: string,
  ifExists: IfExists,
): Promise<number> {
  const choices = parseDownloadChoices(values);
  const [{ downloadJobs, engineKey, findDisks, reportSkipped, submitJobs }, { liveRunPid, queuePaths }, { runQueueUntilIdle }] = await Promise.all([
    import('../queue/jobs.js'),
    import('../queue/ports.js'),
    import('../queue/run.js'),
  ]);
  const dir = await outputDir(output);
  const key = await engineKey(ctx, values);
  const deps = await ctx.connect(values);
  const disks = await findDisks(deps, { all: values.all ?? false, search: values.search, storageDomain: values['storage-domain'] });
  if (disks.length === 0) throw new UsageError('No disk matches; nothing was queued. List them with diskferry disks --search QUERY.');
  const workers = parseWorkers(values.workers) ?? null;
  const { jobs, skipped } = await downloadJobs(key, disks, dir, ifExists, { priority: 0, start: 'now', workers }, choices);
  reportSkipped(ctx, skipped);
  if (jobs.length === 0) return 0;
  await submitJobs(ctx, jobs);
  if ((await liveRunPid(queuePaths())) !== null) {
    if (values.limit !== undefined) ctx.io.stderr.write('diskferry: note: the running queue paces its jobs with its own --limit; this one does not apply.\n');
    return 0;
  }
  return runQueueUntilIdle(ctx, values);
}
