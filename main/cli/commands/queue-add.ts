/** `diskferry queue add upload FILE… | download DISK…`, and the disks `download --all / --search` queue. */
import { resolve } from 'node:path';
import { probeImageOnce } from '../../engine/image/probe.js';
import { checkOutputFolder, DEFAULT_OUTPUT_FORMAT } from '../../engine/plan/download-rules.js';
import { checkUploadDomain } from '../../engine/plan/upload-rules.js';
import { uploadTarget } from '../../engine/plan/upload-target.js';
import type { NewJob } from '../../engine/queue/job.js';
import type { TransferDeps } from '../../engine/transfer/deps.js';
import { resolveDisk } from '../../engine/transfer/download-disk.js';
import type { Disk } from '../../engine/ovirt/types.js';
import { diskSearch, parseChoice, parseCommand, parseWorkers } from '../args.js';
import { required, type CliContext } from '../context.js';
import { UsageError } from '../password.js';
import { jobJson, shortId } from './queue-output.js';
import { openQueue } from './queue-open.js';
import { postToInbox, liveRunPid, queuePaths } from './queue-ports.js';
import { runQueueUntilIdle } from './queue-run.js';
import { parseVerify, VERIFY_OPTIONS } from '../verify-option.js';

/** Options of `queue add` (besides the global ones). */
export const QUEUE_ADD_OPTIONS = {
  'storage-domain': { type: 'string', short: 's' },
  name: { type: 'string' },
  'disk-format': { type: 'string' },
  preallocated: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  overwrite: { type: 'boolean' },
  priority: { type: 'string' },
  now: { type: 'boolean' },
  workers: { type: 'string', short: 'w' },
  format: { type: 'string' },
  ...VERIFY_OPTIONS,
} as const;

/** How a download job writes its file: `--format raw|qcow2` and `--verify` / `--no-verify`, as `diskferry download` takes them. */
export interface DownloadChoices {
  readonly format: 'raw' | 'qcow2';
  readonly verify: boolean;
}

/** Reads `--format` and `--verify` / `--no-verify` (the defaults: raw, verified). */
export function parseDownloadChoices(values: { format?: string | undefined; verify?: boolean | undefined; 'no-verify'?: boolean | undefined }): DownloadChoices {
  const format = parseChoice('format', values.format, ['raw', 'qcow2'] as const) ?? DEFAULT_OUTPUT_FORMAT;
  return { format, verify: parseVerify(values) };
}

/** The engine key jobs carry: the profile name, or the engine URL when no profile is used. */
export async function engineKey(ctx: CliContext, values: { engine?: string | undefined; profile?: string | undefined }): Promise<string> {
  if (values.engine) return values.engine;
  const profile = await ctx.profiles.get(values.profile);
  if (!profile) throw new UsageError('No engine yet: run diskferry login first, or pass --engine URL --username USER@PROFILE.');
  return profile.name;
}

/** `diskferry queue add upload FILE… --storage-domain NAME` / `queue add download DISK… --output DIR`. */
export async function runQueueAdd(ctx: CliContext, args: string[]): Promise<number> {
  const [kind, ...rest] = args;
  if (kind !== 'upload' && kind !== 'download') throw new UsageError("Say what to queue: 'queue add upload FILE…' or 'queue add download DISK…'.");
  const { values, positionals } = parseCommand(rest, QUEUE_ADD_OPTIONS);
  ctx.applyGlobals(values);
  if (positionals.length === 0) throw new UsageError(kind === 'upload' ? 'Name at least one image file to upload.' : 'Name at least one disk (name or id) to download.');
  const common = {
    priority: parseInteger(values.priority, '--priority') ?? 0,
    start: values.now ? ('now' as const) : ('window' as const),
    workers: parseWorkers(values.workers) ?? null,
  };
  const key = await engineKey(ctx, values);
  const verify = parseVerify(values);
  let specs: NewJob[];
  if (kind === 'upload') {
    if (values.format !== undefined) throw new UsageError('--format is for downloads; an upload keeps the image as it is (see --disk-format).');
    const domainName = required(values['storage-domain'], '--storage-domain NAME');
    if (values.name && positionals.length > 1) throw new UsageError('--name works with one file only; several files are named after themselves.');
    const diskFormat = parseChoice('disk-format', values['disk-format'], ['raw', 'cow'] as const);
    // Refuse what cannot be uploaded now, not at 3 in the morning; each file is probed once, its job carries the probe.
    const probes = [];
    for (const file of positionals) probes.push(await probeImageOnce(resolve(file)));
    const deps = await ctx.connect(values);
    const domain = await deps.client.storageDomain(domainName);
    checkUploadDomain(domain);
    specs = probes.map((probe) => {
      const { target } = uploadTarget(probe, domain, { storageDomain: domain.name, diskName: values.name || undefined, diskFormat, preallocated: values.preallocated, verify });
      return { kind: 'upload', engine: key, label: target.diskName, storageDomainKey: domain.id, ...common, upload: target };
    });
  } else {
    const choices = parseDownloadChoices(values);
    const output = await outputDir(required(values.output, '--output DIR'));
    const deps = await ctx.connect(values);
    const disks: Disk[] = [];
    for (const d of positionals) disks.push(await resolveDisk(deps, d));
    specs = disks.map((d) => downloadJob(key, d, output, values.overwrite ?? false, common, choices));
  }
  await submitJobs(ctx, specs);
  return 0;
}

/** A download job for a resolved disk. */
export function downloadJob(engine: string, d: Disk, outputDir: string, overwrite: boolean, common: Pick<NewJob, 'priority' | 'start' | 'workers'>, choices: DownloadChoices): NewJob {
  return {
    kind: 'download',
    engine,
    label: d.name,
    storageDomainKey: d.storageDomainIds[0] ?? null,
    ...common,
    download: { disk: d.id, diskName: d.name, outputDir, size: d.provisionedSize, ...(overwrite ? { overwrite: true } : {}), format: choices.format, verify: choices.verify },
  };
}

/** The disks `download --all --storage-domain NAME` or `download --search Q` means. */
export async function findDisks(deps: TransferDeps, options: { all: boolean; search: string | undefined; storageDomain: string | undefined }): Promise<Disk[]> {
  if (!options.all && !options.search) throw new UsageError('Use --all or --search QUERY.');
  const domain = options.storageDomain ? await deps.client.storageDomain(options.storageDomain) : null;
  if (options.all && !domain) throw new UsageError('--all needs --storage-domain NAME (every disk of one storage domain).');
  const search = options.search ? diskSearch(options.search) : undefined;
  const disks = await deps.client.disks(search ? { search } : {});
  // Only image disks can be transferred (not direct LUNs or managed block storage).
  return disks.filter((d) => (d.storageType === null || d.storageType === 'image') && (!domain || d.storageDomainIds.includes(domain.id)));
}

/** Adds jobs to the queue, or hands them to the `queue run` that owns it; prints what was queued. */
export async function submitJobs(ctx: CliContext, specs: readonly NewJob[]): Promise<void> {
  const paths = queuePaths();
  const pid = await liveRunPid(paths);
  if (pid !== null) {
    await postToInbox(paths, specs);
    if (!ctx.json) ctx.io.stdout.write(`Handed ${specs.length} job(s) to the running queue (process ${pid}).\n`);
    else for (const s of specs) ctx.io.stdout.write(JSON.stringify({ event: 'queued', kind: s.kind, name: s.label, running_queue: pid }) + '\n');
    return;
  }
  const q = await openQueue(ctx, {}, paths);
  try {
    const added = await q.add(specs);
    for (const job of added) ctx.io.stdout.write(ctx.json ? JSON.stringify({ event: 'added', ...jobJson(job) }) + '\n' : `Queued ${shortId(job.id)}: ${job.kind} ${job.label}\n`);
  } finally {
    await q.close();
  }
}

async function outputDir(dir: string): Promise<string> {
  await checkOutputFolder(dir, `--output ${dir}`).catch((err: unknown) => {
    throw new UsageError((err as Error).message);
  });
  return resolve(dir);
}

/** Parses an optional whole number option. */
export function parseInteger(value: string | undefined, name: string, min = -1_000_000): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be a whole number${min > -1_000_000 ? ` of at least ${min}` : ''}, not '${value}'.`);
  return n;
}

/**
 * `diskferry download --all --storage-domain NAME --output DIR` / `download --search Q --output DIR`:
 * queues every matching disk (to start now) and runs the queue until it is idle. With a `queue run`
 * already active, the jobs are handed to it instead.
 */
export async function queueAndRunDownloads(
  ctx: CliContext,
  values: Parameters<CliContext['connect']>[0] & {
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
