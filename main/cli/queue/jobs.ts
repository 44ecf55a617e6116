/**
 * The queue's jobs as the commands make them: the engine key they carry, download jobs for resolved
 * disks, the disks `download --all / --search` means, and handing jobs to the queue (or to the
 * `queue run` that owns it); reading the queue file without opening the queue.
 */
import type { NewJob } from '../../engine/queue/job.js';
import { parseQueueDocument, JsonFileQueueStore, type QueueDocument } from '../../engine/queue/store.js';
import type { TransferDeps } from '../../engine/transfer/deps.js';
import type { Disk } from '../../engine/ovirt/types.js';
import { diskSearch, type DownloadChoices } from '../args.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { openQueue } from './open.js';
import { jobJson, shortId } from './output.js';
import { liveRunPid, postToInbox, queuePaths } from './ports.js';

/** The engine key jobs carry: the profile name, or the engine URL when no profile is used. */
export async function engineKey(ctx: CliContext, values: { engine?: string | undefined; profile?: string | undefined }): Promise<string> {
  if (values.engine) return values.engine;
  const profile = await ctx.profiles.get(values.profile);
  if (!profile) throw new UsageError('No engine yet: run diskferry login first, or pass --engine URL --username USER@PROFILE.');
  return profile.name;
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

/** Reads the queue file without opening the queue (safe while a run owns it). */
export async function readQueue(): Promise<QueueDocument> {
  const store = new JsonFileQueueStore(queuePaths().file);
  const doc = parseQueueDocument(await store.read());
  if (!doc) throw new UsageError(`${store.path} is not a DiskFerry queue file.`);
  return doc;
}
