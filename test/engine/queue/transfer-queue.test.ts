/**
 * TransferQueue with a scripted runner, a fake clock and a memory store: order, limits, retries,
 * the schedule window, persistence and recovery, events, power and the report.
 */
import { describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../../main/engine/errors.js';
import { silentLog } from '../../../main/engine/log.js';
import type { NewJob } from '../../../main/engine/queue/job.js';
import type { QueueEvent, QueueSettings } from '../../../main/engine/queue/queue-types.js';
import { parseWindow, utcCalendar } from '../../../main/engine/queue/schedule.js';
import { MemoryQueueStore, parseQueueDocument } from '../../../main/engine/queue/store.js';
import { TransferQueue } from '../../../main/engine/queue/transfer-queue.js';
import type { TransferProgress } from '../../../shared/model.js';
import { FakeClock, settle } from './fake-clock.js';
import { ScriptedRunner } from './scripted-runner.js';

const MON_NOON = Date.parse('2024-01-01T12:00:00Z');

function upload(n: number, extra: Partial<NewJob> = {}): NewJob {
  return { kind: 'upload', engine: 'e1', upload: { path: `/img/${n}.raw`, storageDomain: 'sd' }, ...extra } as NewJob;
}

function progress(state: TransferProgress['state'], done = 0): TransferProgress {
  return { state, bytesDone: done, bytesTotal: 100, dataDone: done, dataTotal: 100, bytesOnWire: done, rate: null, etaSeconds: null, elapsedMs: 0, connections: 1, viaProxy: false };
}

async function setup(settings: Partial<QueueSettings> = {}, store = new MemoryQueueStore()) {
  const clock = new FakeClock(MON_NOON);
  const runner = new ScriptedRunner();
  const events: QueueEvent[] = [];
  const awake: boolean[] = [];
  const notes: string[] = [];
  let ids = 0;
  const q = await TransferQueue.open(
    {
      store,
      runner,
      now: clock.now,
      timers: clock.timers,
      log: silentLog,
      calendar: utcCalendar,
      random: () => 0.5,
      newId: () => `id-${++ids}`,
      power: { setAwake: (a) => awake.push(a) },
      notifications: { notify: (n) => notes.push(`${n.kind}: ${n.title}`) },
    },
    { retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 10_000 }, ...settings },
  );
  q.on((e) => events.push(e));
  const states = (id: string) => events.filter((e) => e.type === 'state' && e.job.id === id).map((e) => (e.type === 'state' ? e.job.state : ''));
  return { q, clock, runner, events, awake, notes, store, states };
}

describe('TransferQueue', () => {
  it('runs jobs in queue order within the concurrency limit, by priority first', async () => {
    const { q, runner } = await setup({ limits: { concurrency: 2, perEngine: null, perStorageDomain: null } });
    const [a, b, c, d] = await q.add([upload(1), upload(2), upload(3), upload(4, { priority: 9 })]);
    q.start();
    await settle();
    expect(runner.started).toEqual([d!.id, a!.id]);
    runner.get(d!.id).succeed();
    await settle();
    expect(runner.started).toEqual([d!.id, a!.id, b!.id]);
    q.move(c!.id, 'top');
    runner.get(a!.id).succeed();
    runner.get(b!.id).succeed();
    await settle();
    runner.get(c!.id).succeed();
    await settle();
    expect(runner.maxConcurrent).toBe(2);
    expect(q.list().map((j) => j.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
  });

  it('refuses a job that repeats one not yet finished', async () => {
    const { q } = await setup();
    await q.add([upload(1)]);
    await expect(q.add([upload(1)])).rejects.toThrow(/already in the queue/);
  });

  it('retries a retryable failure with backoff and fails a non-retryable one at once, while the others go on', async () => {
    const { q, runner, clock, states, notes } = await setup({ limits: { concurrency: 3, perEngine: null, perStorageDomain: null } });
    const [flaky, broken, fine] = await q.add([upload(1), upload(2), upload(3)]);
    q.start();
    await settle();
    runner.get(flaky!.id).fail(new DiskFerryError('server-error', 'HTTP 503'));
    runner.get(broken!.id).fail(new DiskFerryError('bad-input', 'No such storage domain.'));
    await settle();
    expect(q.get(flaky!.id).state).toBe('retrying');
    // First retry after base/2 + jitter*base/2 = 750 ms with random() = 0.5.
    expect(q.get(flaky!.id).nextAttemptAt).toBe(MON_NOON + 750);
    expect(q.get(broken!.id)).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'bad-input', message: 'No such storage domain.' } });
    expect(notes).toContain(`job-failed: ${broken!.label} failed`);
    expect(runner.open.has(fine!.id)).toBe(true);
    await clock.advance(749);
    expect(runner.open.has(flaky!.id)).toBe(false);
    await clock.advance(1);
    expect(runner.get(flaky!.id).job.attempts).toBe(2);
    runner.get(flaky!.id).fail(new DiskFerryError('network', 'reset'));
    await settle();
    await clock.advance(1500);
    runner.get(flaky!.id).fail(new DiskFerryError('network', 'reset'));
    await settle();
    // Three attempts allowed: the third failure is final.
    expect(q.get(flaky!.id)).toMatchObject({ state: 'failed', attempts: 3 });
    expect(states(flaky!.id)).toEqual(['preparing', 'retrying', 'queued', 'preparing', 'retrying', 'queued', 'preparing', 'failed']);
    runner.get(fine!.id).succeed();
    const report = await q.whenIdle();
    expect(report!.rows.map((r) => [r.jobId, r.outcome])).toEqual([
      [flaky!.id, 'failed'],
      [broken!.id, 'failed'],
      [fine!.id, 'completed'],
    ]);
    expect(notes.at(-1)).toMatch(/^all-done/);
  });

  it('keeps window jobs waiting outside the window, holds running ones at its end and resumes them in the next', async () => {
    const { q, runner, clock, states } = await setup({ windows: [parseWindow('22:00-06:00')] });
    const [job, now] = await q.add([upload(1), upload(2, { start: 'now' })]);
    q.start();
    await settle();
    expect(q.get(job!.id).state).toBe('waiting');
    expect(runner.started).toEqual([now!.id]);
    await clock.advance(10 * 3600_000); // 22:00
    const run = runner.get(job!.id);
    run.ctx.onProgress(progress('transferring', 10));
    expect(q.get(job!.id).state).toBe('transferring');
    await clock.advance(8 * 3600_000); // 06:00
    expect(q.get(job!.id).state).toBe('waiting');
    // An upload is paused (its engine session stays), not stopped.
    expect(run.ctx.control.paused).toBe(true);
    expect(run.ctx.control.cancelled).toBe(false);
    run.ctx.onProgress(progress('paused', 10));
    expect(q.get(job!.id).state).toBe('waiting');
    await clock.advance(16 * 3600_000); // 22:00 the next day
    expect(run.ctx.control.paused).toBe(false);
    expect(q.get(job!.id).state).toBe('transferring');
    run.succeed();
    await settle();
    expect(states(job!.id)).toEqual(['waiting', 'queued', 'preparing', 'transferring', 'waiting', 'transferring', 'completed']);
    // Running time is 22:00 to 06:00; the day it was held does not count (the report's rate).
    expect(q.get(job!.id).activeMs).toBe(8 * 3600_000);
  });

  it('starts a job waiting for the window now, and only that one; the window no longer holds it', async () => {
    const { q, runner, clock, events } = await setup({ windows: [parseWindow('22:00-06:00')] });
    const [a, b, c] = await q.add([upload(1), upload(2), upload(3)]);
    q.start();
    await settle();
    expect(q.list().map((j) => j.state)).toEqual(['waiting', 'waiting', 'waiting']);
    q.startNow(b!.id);
    await settle();
    expect(runner.started).toEqual([b!.id]);
    expect(q.get(a!.id).state).toBe('waiting');
    expect(q.get(b!.id)).toMatchObject({ start: 'now', state: 'preparing' });
    expect(events.some((e) => e.type === 'updated' && e.job.id === b!.id)).toBe(true);
    // A paused one is resumed as well.
    q.pause(c!.id);
    q.startNow(c!.id);
    await settle();
    expect(runner.started).toEqual([b!.id, c!.id]);
    // Hours later, inside and then past the window's end, it is not held like the window's jobs.
    runner.get(b!.id).ctx.onProgress(progress('transferring', 10));
    await clock.advance(18 * 3600_000); // 06:00 the next day, after a whole window
    expect(q.get(b!.id).state).toBe('transferring');
    expect(runner.get(b!.id).ctx.control.paused).toBe(false);
    // Not for a job that does not wait for the window, nor for a finished one.
    expect(() => q.startNow(b!.id)).toThrow(/cannot be started now/);
    runner.get(b!.id).succeed();
    await settle();
    expect(() => q.startNow(b!.id)).toThrow(DiskFerryError);
  });

  it('stops a download at the end of the window (its journal keeps the data) and runs it again in the next', async () => {
    const { q, runner, clock } = await setup({ windows: [parseWindow('11:00-13:00')] });
    const [dl] = await q.add([{ kind: 'download', engine: 'e1', download: { disk: 'd1', diskName: 'd1', outputDir: '/tmp', size: 100 } }]);
    q.start();
    await settle();
    const first = runner.get(dl!.id);
    first.ctx.onProgress(progress('transferring', 40));
    await clock.advance(3600_000); // 13:00
    expect(first.ctx.control.cancelled).toBe(true);
    await settle();
    expect(q.get(dl!.id)).toMatchObject({ state: 'waiting', error: null, attempts: 1 });
    await clock.advance(22 * 3600_000); // 11:00 the next day
    expect(runner.get(dl!.id).job.attempts).toBe(2);
  });

  it('applies the bandwidth limit of the window while it is open', async () => {
    const { q, clock } = await setup({ windows: [parseWindow('13:00-14:00')], bandwidth: 1000, windowBandwidth: 5000 });
    await q.add([upload(1, { start: 'now' })]);
    q.start();
    await settle();
    const limit = () => (q as unknown as { bucket: { limit: number | null } }).bucket.limit;
    expect(limit()).toBe(1000);
    await clock.advance(3600_000);
    expect(limit()).toBe(5000);
  });

  it('keeps the machine awake only while bytes move', async () => {
    const { q, runner, awake } = await setup();
    const [a] = await q.add([upload(1)]);
    q.start();
    await settle();
    expect(awake).toEqual([]);
    runner.get(a!.id).ctx.onProgress(progress('transferring', 1));
    expect(awake).toEqual([true]);
    runner.get(a!.id).ctx.onProgress(progress('finalizing', 100));
    expect(awake).toEqual([true, false]);
  });

  it('persists ids the moment the engine creates them, and recovers interrupted jobs after a restart', async () => {
    const store = new MemoryQueueStore();
    const first = await setup({}, store);
    const [a, b] = await first.q.add([upload(1), upload(2)]);
    first.q.start();
    await settle();
    const run = first.runner.get(a!.id);
    await run.ctx.remember({ diskId: 'disk-1', transferId: 'tx-1' });
    run.ctx.onProgress(progress('transferring', 50));
    await first.clock.advance(2000);
    // The process dies here: nothing more is written.
    const saved = parseQueueDocument(await store.read())!;
    expect(saved.jobs.find((j) => j.id === a!.id)).toMatchObject({ state: 'transferring', diskId: 'disk-1', transferId: 'tx-1', attempts: 1, progress: { bytesDone: 50 } });

    const second = await setup({}, store);
    expect(second.q.get(a!.id)).toMatchObject({ state: 'queued', diskId: 'disk-1', transferId: 'tx-1', attempts: 1 });
    expect(second.q.get(a!.id).notes.join()).toMatch(/stopped while this job ran/);
    second.q.start();
    await settle();
    // The runner gets the ids, so it can re-attach or clean up.
    expect(second.runner.get(a!.id).job).toMatchObject({ diskId: 'disk-1', transferId: 'tx-1', attempts: 2 });
    expect(second.runner.open.has(b!.id)).toBe(true);
  });

  it('waits on close for the engine clean-up of a job cancelled while not running', async () => {
    const { q, runner } = await setup();
    let finish!: () => void;
    runner.discard = (job) => {
      runner.discarded.push(job.id);
      return new Promise<void>((resolve) => (finish = resolve));
    };
    const [a] = await q.add([upload(1)]);
    q.cancel(a!.id);
    expect(runner.discarded).toEqual([a!.id]);
    let closed = false;
    const closing = q.close().then(() => (closed = true));
    await settle();
    expect(closed).toBe(false);
    finish();
    await closing;
    expect(closed).toBe(true);
  });

  it('cancels a running job through its control, and a waiting one at once with its leftovers discarded', async () => {
    const { q, runner } = await setup({ limits: { concurrency: 1, perEngine: null, perStorageDomain: null } });
    const [a, b] = await q.add([upload(1), upload(2)]);
    q.start();
    await settle();
    q.cancel(b!.id);
    expect(q.get(b!.id).state).toBe('cancelled');
    expect(runner.discarded).toEqual([b!.id]);
    q.cancel(a!.id);
    await settle();
    expect(q.get(a!.id).state).toBe('cancelled');
    expect(() => q.cancel(a!.id)).toThrow(/cannot be cancelled/);
    q.retry(a!.id);
    await settle();
    expect(runner.get(a!.id).job.attempts).toBe(1);
  });

  it('pauses and resumes a running job and a pending one', async () => {
    const { q, runner } = await setup({ limits: { concurrency: 1, perEngine: null, perStorageDomain: null } });
    const [a, b] = await q.add([upload(1), upload(2)]);
    q.start();
    await settle();
    q.pause(b!.id);
    q.pause(a!.id);
    expect(runner.get(a!.id).ctx.control.paused).toBe(true);
    expect(q.get(a!.id).state).toBe('paused');
    // A paused run keeps its slot; the paused pending job does not start.
    await settle();
    expect(runner.started).toEqual([a!.id]);
    q.resume(a!.id);
    expect(q.get(a!.id).state).toBe('transferring');
    runner.get(a!.id).succeed();
    await settle();
    expect(runner.started).toEqual([a!.id]);
    q.resume(b!.id);
    await settle();
    expect(runner.started).toEqual([a!.id, b!.id]);
  });

  it('closes without losing work: uploads are paused, downloads stopped, and both saved as queued', async () => {
    const store = new MemoryQueueStore();
    const { q, runner } = await setup({ limits: { concurrency: 3, perEngine: null, perStorageDomain: null } }, store);
    const [up, dl, paused] = await q.add([upload(1), { kind: 'download', engine: 'e1', download: { disk: 'd1', diskName: 'd1', outputDir: '/tmp', size: 1 } }, upload(2)]);
    q.start();
    await settle();
    for (const id of [up!.id, dl!.id, paused!.id]) runner.get(id).ctx.onProgress(progress('transferring', 5));
    q.pause(paused!.id);
    const upRun = runner.get(up!.id);
    const pausedRun = runner.get(paused!.id);
    // No clock advance below: close() must not wait out its grace period for anything.
    const closing = q.close();
    expect(upRun.ctx.control.paused).toBe(true);
    upRun.ctx.onProgress(progress('paused', 5));
    await closing;
    const saved = parseQueueDocument(await store.read())!;
    expect(saved.jobs.map((j) => j.state)).toEqual(['queued', 'queued', 'paused']);
    // The download was stopped (its run ended); the uploads were paused, then detached once saved:
    // their local runs ended without ending their engine transfers (left paused for the next start).
    expect(runner.open.has(dl!.id)).toBe(false);
    expect(upRun.ctx.control.detached).toBe(true);
    expect(pausedRun.ctx.control.paused && pausedRun.ctx.control.detached).toBe(true);
    expect(runner.open.has(paused!.id)).toBe(false);
    await expect(q.add([upload(3)])).rejects.toThrow(/closed/);
  });

  it('reports only the jobs that ended since the last report, once each', async () => {
    const { q, runner } = await setup();
    const [a] = await q.add([upload(1)]);
    q.start();
    await settle();
    runner.get(a!.id).succeed({ dataBytes: 10 });
    const first = await q.whenIdle();
    expect(first!.rows.map((r) => r.jobId)).toEqual([a!.id]);
    const [b] = await q.add([upload(2)]);
    await settle();
    runner.get(b!.id).succeed();
    const second = await q.whenIdle();
    expect(second!.rows.map((r) => r.jobId)).toEqual([b!.id]);
    expect(q.reports().map((r) => r.id)).toEqual([first!.id, second!.id]);
  });
});

describe('TransferQueue: timeline, caller ids and moves', () => {
  it('records every state a job enters, with the time', async () => {
    const { q, clock, runner } = await setup();
    const [a] = await q.add([upload(1)]);
    q.start();
    await settle();
    await clock.advance(5000);
    runner.get(a!.id).ctx.onProgress(progress('transferring', 10));
    runner.get(a!.id).succeed();
    await settle();
    expect(q.get(a!.id).timeline).toEqual([
      { state: 'queued', at: MON_NOON },
      { state: 'preparing', at: MON_NOON },
      { state: 'transferring', at: MON_NOON + 5000 },
      { state: 'completed', at: MON_NOON + 5000 },
    ]);
  });

  it('takes a caller id for a job and refuses one already used', async () => {
    const { q } = await setup();
    const [a] = await q.add([upload(1, { id: 'mine-1' })]);
    expect(a!.id).toBe('mine-1');
    expect(q.get('mine-1').state).toBe('queued');
    await expect(q.add([upload(2, { id: 'mine-1' })])).rejects.toThrow(/already has a job mine-1/);
  });

  it('moves a job up or down past finished jobs, to the next unfinished one', async () => {
    const { q, runner } = await setup({ limits: { concurrency: 1, perEngine: null, perStorageDomain: null } });
    const [a, done, b, c] = await q.add([upload(1), upload(2), upload(3), upload(4)]);
    q.pause(a!.id);
    q.start();
    await settle();
    runner.get(done!.id).succeed();
    await settle();
    q.pause(b!.id);
    q.pause(c!.id);
    expect(q.get(done!.id).state).toBe('completed');
    q.move(b!.id, 'up');
    expect(q.list().map((j) => j.id)).toEqual([b!.id, a!.id, done!.id, c!.id]);
    q.move(a!.id, 'down');
    expect(q.list().map((j) => j.id)).toEqual([b!.id, done!.id, c!.id, a!.id]);
  });

  it('finds and changes each job by id after jobs were added, moved and removed, and after a restart', async () => {
    const store = new MemoryQueueStore();
    const { q } = await setup({}, store);
    const [a, b, c, d] = await q.add([upload(1), upload(2), upload(3), upload(4)]);
    for (const j of [a, b, c, d]) q.pause(j!.id);
    q.move(d!.id, 'top');
    await q.remove(b!.id);
    const [e] = await q.add([upload(5)]);
    q.resume(c!.id);
    expect(q.list().map((j) => [j.id, j.state])).toEqual([
      [d!.id, 'paused'],
      [a!.id, 'paused'],
      [c!.id, 'queued'],
      [e!.id, 'queued'],
    ]);
    expect(() => q.get(b!.id)).toThrow(/no job/);
    q.pause(e!.id);
    expect(q.get(e!.id).state).toBe('paused');
    await q.close();
    const reopened = (await setup({}, store)).q;
    reopened.resume(d!.id);
    expect(reopened.list().map((j) => [j.id, j.state])).toEqual([
      [d!.id, 'queued'],
      [a!.id, 'paused'],
      [c!.id, 'queued'],
      [e!.id, 'paused'],
    ]);
  });

  it('keeps a download\'s format and verification choice and hands them to the runner', async () => {
    const store = new MemoryQueueStore();
    const { q, runner } = await setup({}, store);
    const [d] = await q.add([{ kind: 'download', engine: 'e1', start: 'now', download: { disk: 'disk-1', diskName: 'd', outputDir: '/out', size: 10, format: 'qcow2', verify: false } }]);
    q.start();
    await settle();
    const job = runner.get(d!.id).job;
    expect(job.kind === 'download' && job.download).toMatchObject({ format: 'qcow2', verify: false });
    const saved = parseQueueDocument(await store.read())!.jobs[0]!;
    expect(saved.kind === 'download' && saved.download).toMatchObject({ format: 'qcow2', verify: false });
  });
});

