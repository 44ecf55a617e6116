/**
 * The narrow kill -9 windows the soak found, each set up exactly (the state a killed run leaves) so
 * that the recovery is tested every time, not only when a random kill lands there:
 * - an upload killed after the engine created its transfer but before the queue saved the
 *   transfer's id: the job names the disk only, while an open transfer keeps the disk locked. The
 *   next start must find that transfer (by the disk) and continue it, not try to delete a locked
 *   disk until it gives up;
 * - a download killed after its file got the final name but before the queue recorded the success:
 *   the next start must accept the file (its transfer ended in success), not fail on "already
 *   exists", and remove the journal leftovers of the killed run.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { downloadDisk } from '../../main/engine/transfer/download-disk.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJob } from '../../main/engine/queue/job.js';
import { uploadDescription } from '../../main/engine/queue/recovery.js';
import { MemoryQueueStore } from '../../main/engine/queue/store.js';
import { expectDiskEqualsFile, expectFileEqualsDisk, makeSparseImage, MiB, SMALL_RUNS, SMALL_SIZE, startHarness, TUNING, transferPhasesOf, type Harness } from '../integration/helpers.js';
import { addSimDisk, openSimQueue } from '../integration/queue-helpers.js';
import { expectEngineClean, openTransfers } from './engine-checks.js';

describe('kill -9 between creating an upload transfer and saving its id', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('4.5');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('continues the transfer the engine holds for the job’s disk, and leaves nothing locked', { timeout: 60_000 }, async () => {
    const source = join(h.dir, 'unsaved.raw');
    await makeSparseImage(source, SMALL_SIZE, SMALL_RUNS);
    // What the dead run left: the job knows its disk, the engine has a transferring upload on it.
    const job = { ...createJob({ kind: 'upload', engine: 'sim', start: 'now', upload: { path: source, storageDomain: 'data-nfs', diskName: 'unsaved-transfer' } }, 'job-unsaved', Date.now()) };
    const disk = await h.client.createDisk({ name: 'unsaved-transfer', description: uploadDescription(job as typeof job & { kind: 'upload' }), provisionedSize: SMALL_SIZE, format: 'raw', sparse: true, storageDomain: { name: 'data-nfs' } });
    await h.client.waitForDiskOk(disk.id, { timeoutMs: 20_000 });
    const orphan = await h.client.createTransfer({ diskId: disk.id, direction: 'upload', format: 'raw' });
    await h.client.waitForTransferReady(orphan.id, { timeoutMs: 20_000 });
    expect(openTransfers(h.sim)).toEqual([`${orphan.id}:transferring`]);
    const store = new MemoryQueueStore({ version: 1, jobs: [{ ...job, state: 'transferring', attempts: 1, startedAt: Date.now(), diskId: disk.id, transferId: null }], reports: [] });

    const { q } = await openSimQueue(h, { retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 200 } }, {}, store);
    try {
      q.start();
      await q.whenIdle();
      const done = q.get('job-unsaved');
      expect(done.state, JSON.stringify(done.error)).toBe('completed');
      expect(done.result!.diskId).toBe(disk.id);
      expect(done.notes.join(' ')).toMatch(new RegExp(`Continued transfer ${orphan.id}`));
    } finally {
      await q.close();
    }
    await expectDiskEqualsFile(h.sim, disk.id, source);
    expect([...h.sim.engine.state.disks.values()].filter((d) => d.name === 'unsaved-transfer')).toHaveLength(1);
    await expectEngineClean(h.sim);
  });

  it('accepts a download whose file was complete when the run died, and removes its journal leftovers', { timeout: 60_000 }, async () => {
    const diskId = await addSimDisk(h.sim, 'renamed-dl', 16 * MiB, [{ start: MiB, length: 4 * MiB }]);
    const out = join(h.dir, 'renamed');
    let transferId = '';
    await mkdir(out);
    const r = await downloadDisk(h.deps, { disk: diskId, output: { dir: out } }, { tuning: TUNING, onCreated: (ids) => void (transferId = ids.transferId ?? '') });
    // What the dead run left: the job still `finalizing` with its transfer, and a journal save cut short.
    await writeFile(`${r.path}.part.journal.0123456789ab.tmp`, '{"version":1');
    const job = createJob({ kind: 'download', engine: 'sim', start: 'now', download: { disk: diskId, diskName: 'renamed-dl', outputDir: out, size: 16 * MiB } }, 'job-renamed', Date.now());
    const store = new MemoryQueueStore({ version: 1, jobs: [{ ...job, state: 'finalizing', attempts: 1, startedAt: Date.now(), diskId, transferId }], reports: [] });
    expect(transferPhasesOf(h.sim, diskId)).toEqual(['finished_success']);

    const { q } = await openSimQueue(h, { retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 200 } }, {}, store);
    try {
      q.start();
      await q.whenIdle();
      const done = q.get('job-renamed');
      expect(done.state, JSON.stringify(done.error)).toBe('completed');
      expect(done.result).toMatchObject({ path: r.path, bytesOnWire: 0, virtualSize: 16 * MiB });
      expect(done.notes.join(' ')).toMatch(/had finished this download/);
    } finally {
      await q.close();
    }
    await expectFileEqualsDisk(h.sim, diskId, r.path);
    expect(await readdir(out)).toEqual(['renamed-dl.raw']);
    expect(transferPhasesOf(h.sim, diskId)).toEqual(['finished_success']); // nothing was fetched again
    await expectEngineClean(h.sim);
  });
});
