/**
 * The queue's jobs as the commands make them: the engine key they carry, download jobs for resolved
 * disks, the disks `download --all / --search` means, and handing jobs to the queue (or to the
 * `queue run` that owns it); reading the queue file without opening the queue.
 */
import type { NewJob } from '../../engine/queue/job.js';
import { parseQueueDocument, JsonFileQueueStore, type QueueDocument } from '../../engine/queue/store.js';
import type { TransferDeps } from '../../engine/transfer/deps.js';
import type { Disk } from '../../engine/ovirt/types.js';
import { join } from 'node:path';
import { downloadFileName, targetPath } from '../../engine/plan/download-rules.js';
import { diskSearch, type DownloadChoices, type IfExists } from '../args.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { openQueue } from './open.js';
import { jobJson, jobKind, shortId } from './output.js';
import { liveRunPid, postToInbox, queuePaths } from './ports.js';

/** The engine key jobs carry: the profile name, or the engine URL when no profile is used. */
export async function engineKey(ctx: CliContext, values: { engine?: string | undefined; profile?: string | undefined }): Promise<string> {
  if (values.engine) return values.engine;
  const profile = await ctx.profiles.get(values.profile);
  if (!profile) throw new UsageError('No engine yet: run diskferry login first, or pass --engine URL --username USER@PROFILE.');
  return profile.name;
}

/** Where a download job writes: its folder, and the exact file when the --if-exists rule chose one. */
interface Placement {
  readonly file?: string;
  readonly overwrite: boolean;
}

/** A download job for a resolved disk. */
function downloadJob(engine: string, d: Disk, outputDir: string, place: Placement, common: Pick<NewJob, 'priority' | 'start' | 'workers'>, choices: DownloadChoices): NewJob {
  return {
    kind: 'download',
    engine,
    label: d.name,
    storageDomainKey: d.storageDomainIds[0] ?? null,
    ...common,
    download: {
      disk: d.id,
      diskName: d.name,
      outputDir,
      ...(place.file !== undefined ? { file: place.file } : {}),
      size: d.provisionedSize,
      ...(place.overwrite ? { overwrite: true } : {}),
      format: choices.format,
      verify: choices.verify,
    },
  };
}

/**
 * Download jobs for resolved disks, each file placed by the --if-exists rule (the engine's, as the
 * window's): `rename` and `skip` decide now, among the files of the folder and of this batch; `fail`
 * lets the run refuse an existing file. The disks skipped come back with the file that was in the way.
 */
export async function downloadJobs(
  engine: string,
  disks: readonly Disk[],
  outputDir: string,
  policy: IfExists,
  common: Pick<NewJob, 'priority' | 'start' | 'workers'>,
  choices: DownloadChoices,
): Promise<{ jobs: NewJob[]; skipped: Array<{ disk: Disk; path: string }> }> {
  const jobs: NewJob[] = [];
  const skipped: Array<{ disk: Disk; path: string }> = [];
  const taken = new Set<string>();
  for (const d of disks) {
    if (policy === 'fail' || policy === 'overwrite') {
      jobs.push(downloadJob(engine, d, outputDir, { overwrite: policy === 'overwrite' }, common, choices));
      continue;
    }
    const fileName = downloadFileName(d, choices.format);
    const target = await targetPath(outputDir, fileName, policy, taken);
    if (!target) {
      skipped.push({ disk: d, path: join(outputDir, fileName) });
      continue;
    }
    taken.add(target.path);
    jobs.push(downloadJob(engine, d, outputDir, { file: target.path, overwrite: target.overwrite }, common, choices));
  }
  return { jobs, skipped };
}

/** Says which disks --if-exists skip left out (a result line each). */
export function reportSkipped(ctx: CliContext, skipped: ReadonlyArray<{ disk: Disk; path: string }>): void {
  for (const { disk, path } of skipped) ctx.result(`Skipped disk '${disk.name}': ${path} already exists (--if-exists skip).`, { disk_id: disk.id, disk_name: disk.name, path, skipped: true });
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
    for (const job of added) ctx.io.stdout.write(ctx.json ? JSON.stringify({ event: 'added', ...jobJson(job) }) + '\n' : `Queued ${shortId(job.id)}: ${jobKind(job)} ${job.label}\n`);
  } finally {
    await q.close();
  }
}

/** Reads the queue file without opening the queue (safe while a run owns it). */
export async function readQueue(): Promise<QueueDocument> {
  const store = new JsonFileQueueStore(queuePaths().file);
  const doc = parseQueueDocument(await store.read());
  if (!doc) throw new UsageError(`${store.path} is not a DiskFerry queue file.`);
  return doc;
}
