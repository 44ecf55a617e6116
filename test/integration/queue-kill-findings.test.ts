/**
 * What killing `queue run` at random moments found (issue #16), made real on the simulator for each
 * engine generation: a kill while the engine creates a download's transfer orphans it (its id never
 * saved), and a kill right after a download completed its file must not lose the result's digest.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJob, type NewJob, type QueueJob } from '../../main/engine/queue/job.js';
import { MemoryQueueStore, type QueueDocument } from '../../main/engine/queue/store.js';
import { downloadDisk } from '../../main/engine/transfer/download-disk.js';
import { expectFileEqualsDisk, MiB, startHarness, TUNING, VERSIONS, type Harness } from './helpers.js';
import { addSimDisk, downloadPath, openSimQueue } from './queue-helpers.js';

/** A memory store that keeps every document written, as a file would have held it at each moment. */
class RecordingStore extends MemoryQueueStore {
  readonly docs: QueueDocument[] = [];
  override write(doc: QueueDocument): Promise<void> {
    this.docs.push(structuredClone(doc));
    return super.write(doc);
  }
}

describe.each(VERSIONS)('queue after a kill, engine %s', (version) => {
  let h: Harness;
  let out: string;
  let n = 0;
  beforeAll(async () => {
    h = await startHarness(version);
    out = join(h.dir, 'out');
    await mkdir(out);
  });
  afterAll(async () => {
    await h?.close();
  });

  async function runToEnd(store: MemoryQueueStore, id: string): Promise<QueueJob> {
    // No retries: the first attempt after the restart must succeed by itself.
    const { q } = await openSimQueue(h, { retry: { maxAttempts: 1, baseDelayMs: 100, maxDelayMs: 100 } }, {}, store);
    q.start();
    await q.whenIdle();
    await q.close();
    return q.get(id);
  }

  const download = (diskId: string, name: string): NewJob => ({ kind: 'download', engine: 'sim', download: { disk: diskId, diskName: name, outputDir: out, size: 8 * MiB } });

  it('finds the download transfer whose id a kill never saved, finalizes it, and downloads', async () => {
    const name = `orphan-${version}`;
    const diskId = await addSimDisk(h.sim, name, 8 * MiB, [{ start: MiB, length: 2 * MiB }]);
    // The engine created the transfer (the disk is locked), then the process died before saving its id.
    const orphan = await h.client.createTransfer({ diskId, direction: 'download', format: 'raw' });
    expect(h.sim.engine.state.disks.get(diskId)!.status).toBe('locked');
    const id = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
    const job = { ...createJob(download(diskId, name), id, Date.now()), state: 'initializing', attempts: 1, startedAt: Date.now(), diskId, transferId: null } as QueueJob;
    const done = await runToEnd(new MemoryQueueStore({ version: 1, jobs: [job], reports: [] }), id);
    expect(done.error).toBeNull();
    expect(done.state).toBe('completed');
    const left = h.sim.engine.state.transfers.get(orphan.id);
    // Ended by finalize: gone on engines before 4.4.7, finished_success on 4.5.
    if (left) expect(left.phase).toBe('finished_success');
    await expectFileEqualsDisk(h.sim, diskId, downloadPath(out, name));
  });

  it('accepts a download completed just before the kill with the digest and data bytes it had', async () => {
    const name = `finished-${version}`;
    const diskId = await addSimDisk(h.sim, name, 8 * MiB, [{ start: 0, length: MiB }, { start: 4 * MiB, length: 512 * 1024 }]);
    const store = new RecordingStore();
    const { q } = await openSimQueue(h, {}, {}, store);
    const [added] = await q.add([download(diskId, name)]);
    q.start();
    await q.whenIdle();
    await q.close();
    const good = q.get(added!.id);
    expect(good.state).toBe('completed');
    // The moment the kill hits: the result saved before the rename, the completion not yet.
    const before = store.docs.filter((d) => d.jobs.length > 0 && d.jobs[0]!.state !== 'completed').at(-1)!;
    expect(before.jobs[0]!.finishedResult).not.toBeNull();
    expect((await stat(downloadPath(out, name))).isFile()).toBe(true);
    const again = await runToEnd(new MemoryQueueStore(before), added!.id);
    expect(again.state).toBe('completed');
    expect(again.notes.join(' ')).toMatch(/had finished this download/);
    expect(again.result).toMatchObject({ dataBytes: good.result!.dataBytes, digest: good.result!.digest, path: good.result!.path });
    // Engines with extents (4.3+) count the data runs only; 4.1's legacy server reads the whole disk.
    if (version !== '4.1') expect(again.result!.dataBytes).toBe(1.5 * MiB);
    if (version === '4.5') expect(again.result!.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(again.result!.checksum).toEqual(good.result!.checksum);
  });

  it('reads the digest and data bytes from the file when an older DiskFerry saved no result', async () => {
    const name = `older-${version}`;
    const diskId = await addSimDisk(h.sim, name, 8 * MiB, [{ start: 0, length: MiB }, { start: 4 * MiB, length: 512 * 1024 }]);
    let transferId = '';
    const r = await downloadDisk(h.deps, { disk: diskId, output: { dir: out } }, { tuning: TUNING, onCreated: (ids) => void (transferId = ids.transferId ?? '') });
    const id = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
    const job = { ...createJob(download(diskId, name), id, Date.now()), state: 'finalizing', attempts: 1, startedAt: Date.now(), diskId, transferId } as QueueJob;
    const done = await runToEnd(new MemoryQueueStore({ version: 1, jobs: [job], reports: [] }), id);
    expect(done.state).toBe('completed');
    expect(done.notes.join(' ')).toMatch(/had finished this download/);
    expect(done.result!.digest).toMatch(/^[0-9a-f]{64}$/);
    if (r.digest !== null) expect(done.result!.digest).toBe(r.digest);
    // The data extents of the file, not its allocated blocks (which count metadata too).
    if (version !== '4.1') expect(done.result!.dataBytes).toBe(r.dataBytes);
    expect(done.result!.checksum).toMatchObject({ verified: null, server: null });
  });
});
