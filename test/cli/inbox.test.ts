/**
 * The hand-over from `queue add` to a running `queue run` through the inbox folder: an inbox file
 * goes only once its job is saved in the queue, jobs keep the order they were given in, and a job
 * saved just before a kill is not added twice.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postToInbox, queuePaths, takeInbox, type QueuePaths } from '../../main/cli/queue/ports.js';
import { silentLog } from '../../main/engine/log.js';
import type { NewJob } from '../../main/engine/queue/job.js';
import { MemoryQueueStore, type QueueDocument } from '../../main/engine/queue/store.js';
import { TransferQueue } from '../../main/engine/queue/transfer-queue.js';
import { realTimers } from '../../main/engine/timers.js';
import { ScriptedRunner } from '../engine/queue/scripted-runner.js';

/** A store whose writes fail while `broken` is set (a full disk, a kill in the middle). */
class FlakyStore extends MemoryQueueStore {
  broken = false;
  override write(doc: QueueDocument): Promise<void> {
    return this.broken ? Promise.reject(new Error('ENOSPC: no space left on device')) : super.write(doc);
  }
}

const job = (n: number): NewJob => ({ kind: 'upload', engine: 'e1', upload: { path: `/img/${n}.raw`, storageDomain: 'sd' } }) as NewJob;

describe('the queue inbox', () => {
  let dir: string;
  let paths: QueuePaths;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'diskferry-inbox-'));
    paths = queuePaths(dir);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const open = (store: MemoryQueueStore) => TransferQueue.open({ store, runner: new ScriptedRunner(), now: Date.now, timers: realTimers, log: silentLog });

  it('keeps an inbox file until its job is saved in the queue', async () => {
    await postToInbox(paths, [job(1), job(2)]);
    const store = new FlakyStore();
    const q = await open(store);
    store.broken = true;
    await expect(takeInbox(paths, silentLog, q)).rejects.toThrow(/could not be saved/);
    // Nothing was saved, so nothing left the inbox (and the queue holds nothing it could not save).
    expect(await readdir(paths.inbox)).toHaveLength(2);
    expect(q.list()).toHaveLength(0);
    store.broken = false;
    expect(await takeInbox(paths, silentLog, q)).toBe(2);
    expect(await readdir(paths.inbox)).toHaveLength(0);
    expect(q.list().map((j) => (j.kind === 'upload' ? j.upload.path : ''))).toEqual(['/img/1.raw', '/img/2.raw']);
  });

  it('queues the jobs of one `queue add` in the order given, however many share a millisecond', async () => {
    const jobs = Array.from({ length: 40 }, (_, i) => job(i));
    await postToInbox(paths, jobs);
    const q = await open(new MemoryQueueStore());
    expect(await takeInbox(paths, silentLog, q)).toBe(40);
    expect(q.list().map((j) => (j.kind === 'upload' ? j.upload.path : ''))).toEqual(jobs.map((j) => (j.kind === 'upload' ? j.upload.path : '')));
  });

  it('does not add a job twice when a kill came between saving it and removing its file', async () => {
    await postToInbox(paths, [job(3)]);
    const store = new MemoryQueueStore();
    const q = await open(store);
    const [name] = await readdir(paths.inbox);
    // The job was saved (same id), then the process died before removing the file.
    const spec = JSON.parse(await readFile(join(paths.inbox, name!), 'utf8')) as NewJob;
    expect(spec.id).toMatch(/^[0-9a-f-]{36}$/);
    await q.add([spec]);
    expect(await takeInbox(paths, silentLog, q)).toBe(0);
    expect(q.list()).toHaveLength(1);
    expect(await readdir(paths.inbox)).toHaveLength(0);
  });

  it('removes a file whose job repeats work already queued, saying so', async () => {
    await postToInbox(paths, [job(4)]);
    const q = await open(new MemoryQueueStore());
    await q.add([job(4)]);
    expect(await takeInbox(paths, silentLog, q)).toBe(0);
    expect(await readdir(paths.inbox)).toHaveLength(0);
    expect(q.list()).toHaveLength(1);
  });
});
