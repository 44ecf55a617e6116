/**
 * What a download's earlier attempts left on this machine when the job is sent to another file
 * (retarget.ts): its `NAME.part` and journal. The new target continues them when it can — the same
 * disk in the same format, only another path: they move there (a rename, so only on the same file
 * system) and the next attempt fetches only what is missing. Otherwise they are removed: nothing
 * would ever continue them, and on a disk that filled up they hold the space the user needs back.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorCode, errorMessage } from '../errors.js';
import type { Disk } from '../ovirt/types.js';
import { downloadPath } from '../plan/download-rules.js';
import { PartFile } from '../transfer/part-file.js';
import type { TransferDeps } from '../transfer/deps.js';
import type { QueueJob } from './job.js';

/** Where a download job writes, for this disk. */
function targetPath(job: QueueJob & { kind: 'download' }, disk: Pick<Disk, 'name' | 'id'>): string {
  const d = job.download;
  return downloadPath(d.file !== undefined ? { file: d.file } : { dir: d.outputDir }, disk, d.format);
}

/** Moves or removes the partial file of `job` for its retargeted form `next`; best effort, never throws. */
export async function moveOrDropPartial(deps: TransferDeps, job: QueueJob & { kind: 'download' }, next: QueueJob & { kind: 'download' }, disk: Pick<Disk, 'name' | 'id'>): Promise<void> {
  const from = targetPath(job, disk);
  const to = targetPath(next, disk);
  if (from === to) return;
  const part = PartFile.partPath(from);
  if (!(await stat(part).then(() => true, () => false))) return;
  const taken = await stat(PartFile.partPath(to)).then(() => true, () => false);
  if (job.download.format === next.download.format && !taken) {
    try {
      await mkdir(dirname(to), { recursive: true });
      // The journal first: a part file without its journal starts over, a journal without its part file is ignored.
      await rename(PartFile.journalPath(from), PartFile.journalPath(to)).catch((err: unknown) => {
        if (errorCode(err) !== 'ENOENT') throw err;
      });
      await rename(part, PartFile.partPath(to));
      deps.log.info('the partial file of a retargeted download moved with it', { job: job.id });
      return;
    } catch (err) {
      deps.log.info('the partial file of a retargeted download could not move; it is removed', { job: job.id, error: errorMessage(err) });
      await PartFile.removeJournal(to).catch(() => {});
    }
  }
  await rm(part, { force: true }).catch(() => {});
  await PartFile.removeJournal(from).catch(() => {});
}
