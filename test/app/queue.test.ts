/**
 * The app core's queue is the engine's TransferQueue: through the app core's handlers against the
 * simulator, its settings (bandwidth limit, window, concurrency, per-storage-domain limit) are
 * enforced, the user's actions work, failures are retried, and a restart recovers what was running
 * (a download continues from its journal). Nothing asserts on elapsed time.
 *
 * The bandwidth limit runs on a clock of the test's own (AppCoreOptions.bandwidthClock): the
 * bandwidth test measures the rate over a window of that clock, stepped only once the transfers it
 * released wait on it again, so the rate is the limit's however busy the machine (the real-clock
 * measurement is the queue's, in `npm run test:soak`). The tests that need a transfer still running
 * at some point (the window closing on it, a pause, a restart) pace it by the limit on that clock,
 * which stands still until they move it: a few MiB of data do where real seconds of a slowed
 * simulator had to be outlasted. Each test has its own simulator, core and clock: none depends on
 * what another left behind (settings, transfers, reservations on the clock).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TransferView } from '../../shared/ipc.js';
import { expectDiskEqualsFile, expectFileEqualsDisk, expectFileEqualsSeed, makeSparseImage, MiB, seededDiskId } from '../integration/helpers.js';
import { addSimDisk } from '../integration/queue-helpers.js';
import { advanceAndSettle, FakeClock } from '../engine/queue/fake-clock.js';
import { startCore, until, type CoreHarness } from './helpers.js';

const ENDED = ['completed', 'failed', 'cancelled'];

/** `HH:MM` local time, `minutes` from now. */
function hhmm(minutes: number): string {
  const d = new Date(Date.now() + minutes * 60_000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Least-squares slope of (t ms, bytes) samples, in bytes per second. */
function slope(samples: ReadonlyArray<readonly [number, number]>): number {
  const n = samples.length;
  const mt = samples.reduce((s, [t]) => s + t, 0) / n;
  const mb = samples.reduce((s, [, b]) => s + b, 0) / n;
  const num = samples.reduce((s, [t, b]) => s + (t - mt) * (b - mb), 0);
  const den = samples.reduce((s, [t]) => s + (t - mt) ** 2, 0);
  return (num / den) * 1000;
}

/** When a transfer's runs began and ended, from its timeline: [first start, end]. */
function span(t: TransferView): [number, number] {
  const start = t.timeline.find((s) => s.state === 'preparing')!.at;
  const end = t.timeline.findLast((s) => ENDED.includes(s.state))!.at;
  return [start, end];
}

describe('app core queue: the engine TransferQueue behind the app', () => {
  let h: CoreHarness;
  let dataNfs: string;
  let dataIscsi: string;
  /** The clock of the bandwidth limit: stands still until the test moves it. */
  let limitClock: FakeClock;
  beforeEach(async () => {
    limitClock = new FakeClock(Date.parse('2024-01-01T00:00:00Z'));
    h = await startCore({ core: { bandwidthClock: limitClock } });
    await h.call('engines:demo', undefined);
    const domains = await h.call('catalog:storageDomains', {});
    dataNfs = domains.find((d) => d.name === 'data-nfs')!.id;
    dataIscsi = domains.find((d) => d.name === 'data-iscsi')!.id;
  });
  afterEach(async () => {
    await h.close();
  });

  const view = (id: string): TransferView => {
    const t = h.snapshot('transfers:changed').transfers.find((x) => x.id === id);
    if (!t) throw new Error(`no transfer ${id}`);
    return t;
  };
  const settled = (id: string, timeoutMs = 60_000) => until(() => ENDED.includes(view(id).state), timeoutMs, `transfer ${id} to end`);
  const folder = async (name: string) => {
    const dir = join(h.dir, name);
    await mkdir(dir);
    return dir;
  };
  /** A raw disk on data-nfs holding `dataMiB` MiB of random data in two runs (checked with expectFileEqualsDisk). */
  const disk = (name: string, dataMiB: number) =>
    addSimDisk(h.sim, name, 2 * dataMiB * MiB, [
      { start: MiB, length: (dataMiB / 2) * MiB },
      { start: dataMiB * MiB + MiB, length: (dataMiB / 2) * MiB },
    ]);
  /**
   * A transfer reports its progress at most every 250 ms of the real clock (ProgressTracker): a
   * change that soon after the last report waits for the next one. Steps of the limit's clock that
   * follow each other faster would be read before the bytes they released are reported.
   */
  const REPORT_MS = 300;
  /**
   * Lets data through the bandwidth limit, half a second of its clock at a time (then REPORT_MS of
   * the real clock, so the next step's first change is reported at once), until `moved` holds.
   * Between calls the limit's clock stands still: a transfer paced by it is surely still running,
   * however fast or busy the machine.
   */
  const moveUntil = async (moved: () => boolean, ids: readonly string[], what: string) => {
    const onWire = () => ids.reduce((sum, id) => sum + view(id).progress.bytesOnWire, 0);
    const deadline = Date.now() + 30_000;
    while (!moved()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await advanceAndSettle(limitClock, 500, onWire);
      await new Promise((r) => setTimeout(r, REPORT_MS));
    }
  };
  /** Lifts the bandwidth limit: the reservations made on its clock fall due, the rest runs unpaced. */
  const unlimit = async () => {
    await h.call('settings:set', { bandwidthLimit: null });
    await limitClock.advance(60_000);
  };
  /** The engine queue's job as persisted in the app's `transfers` document. */
  const storedJob = (id: string) => {
    const doc = h.store.documents.get('transfers') as { version: number; queue: { jobs: Array<{ id: string; result: { resumedBytes: number } | null }> } };
    return doc.queue.jobs.find((j) => j.id === id);
  };

  it('enforces the bandwidth limit of the settings over all running transfers, and lifts it at once', { timeout: 120_000 }, async () => {
    // On the limit's injected clock, stepped once the transfers it released wait on it again: the
    // rate is the limit's however busy the machine (as in test/integration/queue-bandwidth.test.ts,
    // whose soak measures the limit on the real clock).
    const LIMIT = 4 * MiB;
    const WARMUP_MS = 1500;
    const WINDOW_MS = 5000;
    const STEP_MS = 500;
    await h.call('settings:set', { bandwidthLimit: LIMIT, maxConcurrent: 2 });
    // Together the two move 4 MiB/s x 6.5 s = 26 MiB in warm-up and window; 32 MiB each outlasts that
    // even for the download, which gets the bigger share (it reserves bigger pieces).
    const src = join(h.dir, 'bw-up.raw');
    await makeSparseImage(src, 48 * MiB, [{ start: 0, length: 32 * MiB }]);
    const bwDisk = await disk('bw-download', 32);
    const { queued: [up] } = await h.call('transfers:addUploads', { items: [{ path: src, storageDomainId: dataNfs, diskName: 'bw-upload' }] });
    const { queued: [down] } = await h.call('transfers:addDownloads', { diskIds: [bwDisk], folder: await folder('bw'), format: 'raw', existing: 'overwrite' });
    const ids = [up!.id, down!.id];
    const onWire = () => ids.reduce((sum, id) => sum + view(id).progress.bytesOnWire, 0);
    const samples: Array<[number, number]> = [];
    try {
      // Time stands still until both move data: each one's first reservation waits on the limit.
      await until(() => ids.every((id) => view(id).state === 'transferring') && limitClock.armed >= ids.length, 60_000, 'both transfers waiting on the limit');
      // After each step the real clock moves past the progress reports' interval (REPORT_MS); half
      // a second of the limit's clock per step keeps that to ten steps in the window.
      const t0 = limitClock.now();
      const step = async () => {
        await advanceAndSettle(limitClock, STEP_MS, onWire);
        await new Promise((r) => setTimeout(r, REPORT_MS));
      };
      while (limitClock.now() - t0 < WARMUP_MS) await step();
      samples.push([limitClock.now() - t0, onWire()]);
      while (limitClock.now() - t0 < WARMUP_MS + WINDOW_MS) {
        await step();
        samples.push([limitClock.now() - t0, onWire()]);
      }
      // Both still had data to move at the end of the window: the rate is the limit's.
      for (const id of ids) expect(view(id).state).toBe('transferring');
    } finally {
      await unlimit();
    }
    const rate = slope(samples);
    // The bounds of the real-clock measurement this replaced. Above the limit cannot happen on this
    // clock; below it, when the machine is so busy that a step is taken before the work it released
    // waits again (fake-clock.ts), or a read before the transfers reported (above).
    expect(samples.length).toBeGreaterThan(WINDOW_MS / STEP_MS);
    expect(rate, `measured ${(rate / MiB).toFixed(2)} MiB/s`).toBeLessThan(LIMIT * 1.25);
    expect(rate, `measured ${(rate / MiB).toFixed(2)} MiB/s`).toBeGreaterThan(LIMIT * 0.5);

    for (const id of ids) await settled(id);
    expect(view(up!.id).state, view(up!.id).error?.message).toBe('completed');
    expect(view(down!.id).state, view(down!.id).error?.message).toBe('completed');
    await expectDiskEqualsFile(h.sim, view(up!.id).diskId!, src);
    await expectFileEqualsDisk(h.sim, bwDisk, view(down!.id).localPath);
  });

  it('keeps window jobs waiting outside the window, holds a running one when it closes, and runs them when it opens', async () => {
    const dir = await folder('window');
    // Open now: the window job starts, paced by the limit on its clock (see moveUntil), so that the
    // closing window meets it running. Enough data that its workers always have more to reserve:
    // the last pieces, once reserved, would be released by the steps that follow without waiting on
    // the clock again, and could end the download before the view shows them.
    await h.call('settings:set', { scheduleWindow: { start: hhmm(-60), end: hhmm(60) }, bandwidthLimit: 4 * MiB });
    const runningDisk = await disk('window-running', 32);
    const { queued: [running] } = await h.call('transfers:addDownloads', { diskIds: [runningDisk], folder: dir, format: 'raw', existing: 'overwrite', start: 'window' });
    // A download reports (and journals) each 4 MiB piece it wrote.
    await moveUntil(() => view(running!.id).progress.bytesOnWire >= 4 * MiB, [running!.id], 'the window job to move data');
    // Closed: the running download is held (stopped with its journal), new window jobs wait, `now` jobs run.
    await h.call('settings:set', { scheduleWindow: { start: hhmm(120), end: hhmm(180) } });
    await until(() => view(running!.id).state === 'waiting', 30_000, 'the running job to be held');
    await unlimit();
    const { queued: [later] } = await h.call('transfers:addDownloads', { diskIds: [seededDiskId('db01-disk0')], folder: dir, format: 'raw', existing: 'overwrite', start: 'window' });
    expect(view(later!.id).state).toBe('waiting');
    const { queued: [now] } = await h.call('transfers:addDownloads', { diskIds: [seededDiskId('empty-10g')], folder: dir, format: 'raw', existing: 'overwrite', start: 'now' });
    await settled(now!.id);
    expect(view(now!.id).state, view(now!.id).error?.message).toBe('completed');
    expect(view(later!.id).state).toBe('waiting');
    expect(view(running!.id).state).toBe('waiting');

    await h.call('settings:set', { scheduleWindow: null });
    await settled(running!.id);
    await settled(later!.id);
    expect(view(running!.id).state, view(running!.id).error?.message).toBe('completed');
    expect(view(later!.id).state, view(later!.id).error?.message).toBe('completed');
    expect(view(running!.id).timeline.map((s) => s.state)).toEqual(expect.arrayContaining(['transferring', 'waiting', 'queued', 'completed']));
    // The second run continued from the journal of the first.
    expect(storedJob(running!.id)!.result!.resumedBytes).toBeGreaterThan(0);
    await expectFileEqualsDisk(h.sim, runningDisk, view(running!.id).localPath);
    await expectFileEqualsSeed('db01-disk0', view(later!.id).localPath);
  });

  it('runs at most maxPerStorageDomain on one storage domain while another domain runs beside it', async () => {
    await h.call('settings:set', { maxConcurrent: 3, maxPerStorageDomain: 1 });
    h.sim.faults.latencyMs = 20;
    const items = [];
    for (const [i, sd] of [dataNfs, dataNfs, dataIscsi].entries()) {
      const path = join(h.dir, `per-domain-${i}.raw`);
      await makeSparseImage(path, 32 * MiB, [{ start: 0, length: 12 * MiB }]);
      items.push({ path, storageDomainId: sd, diskName: `per-domain-${i}` });
    }
    const { queued: added } = await h.call('transfers:addUploads', { items });
    for (const t of added) await settled(t.id);
    const [nfsA, nfsB, iscsi] = added.map((t) => view(t.id));
    for (const t of [nfsA!, nfsB!, iscsi!]) expect(t.state, t.error?.message).toBe('completed');
    const [a, b] = [span(nfsA!), span(nfsB!)].sort((x, y) => x[0] - y[0]);
    expect(b![0], 'the second upload to data-nfs started only after the first ended').toBeGreaterThanOrEqual(a![1]);
    const [c0, c1] = span(iscsi!);
    expect(c0 < a![1] && c1 > a![0], 'the data-iscsi upload ran beside the first data-nfs one').toBe(true);
  });

  it('pauses, resumes, moves, cancels, retries and removes transfers', async () => {
    // The first must still be running after a pause, a resume and a cancel: paced by the limit on
    // its clock, which stands still here (see moveUntil).
    await h.call('settings:set', { maxConcurrent: 1, bandwidthLimit: 4 * MiB });
    const dir = await folder('actions');
    const firstDisk = await disk('actions-first', 16);
    const { queued: [first, second, third] } = await h.call('transfers:addDownloads', {
      diskIds: [firstDisk, seededDiskId('db01-disk0'), seededDiskId('web-01-disk1')],
      folder: dir,
      format: 'raw',
      existing: 'overwrite',
    });
    await until(() => view(first!.id).state === 'transferring', 30_000, 'the first to run');
    // A pending job is held back, and moved.
    expect((await h.call('transfers:pause', { id: second!.id })).state).toBe('paused');
    await h.call('transfers:move', { id: third!.id, to: 'top' });
    expect(h.snapshot('transfers:changed').transfers.map((t) => t.id).indexOf(third!.id)).toBeLessThan(h.snapshot('transfers:changed').transfers.map((t) => t.id).indexOf(first!.id));
    // A running download pauses and resumes.
    await h.call('transfers:pause', { id: first!.id });
    await until(() => view(first!.id).state === 'paused', 15_000, 'paused');
    expect(view(first!.id).actions).toMatchObject({ resume: true, pause: false, cancel: true });
    // A paused job holds its slot: nothing else starts meanwhile.
    expect(view(third!.id).state).toBe('queued');
    await h.call('transfers:resume', { id: first!.id });
    await until(() => view(first!.id).state === 'transferring', 15_000, 'transferring again');
    // Cancelled: the partial file stays; it can be retried, and removed once ended.
    await h.call('transfers:cancel', { id: first!.id });
    await settled(first!.id);
    expect(view(first!.id).state).toBe('cancelled');
    expect(view(first!.id).actions).toMatchObject({ retry: true, remove: true, cancel: false });
    const removeRunning = await h.invoke('transfers:remove', { id: third!.id });
    expect(!removeRunning.ok && removeRunning.error.code).toBe('conflict');
    await unlimit();
    await h.call('transfers:retry', { id: first!.id });
    await h.call('transfers:resume', { id: second!.id });
    for (const t of [first!, second!, third!]) await settled(t.id);
    for (const t of [first!, second!, third!]) expect(view(t.id).state, view(t.id).error?.message).toBe('completed');
    await expectFileEqualsSeed('web-01-disk1', view(third!.id).localPath);
    await expectFileEqualsDisk(h.sim, firstDisk, view(first!.id).localPath);
    await h.call('transfers:remove', { id: first!.id });
    expect(h.snapshot('transfers:changed').transfers.some((t) => t.id === first!.id)).toBe(false);
  });

  it('retries a transfer after a retryable engine failure, then completes', async () => {
    const dir = await folder('retry');
    // Held outside a closed schedule window until the engine is down.
    await h.call('settings:set', { scheduleWindow: { start: hhmm(120), end: hhmm(180) } });
    const { queued: [t] } = await h.call('transfers:addDownloads', { diskIds: [seededDiskId('web-01-disk1')], folder: dir, format: 'raw', existing: 'overwrite', start: 'window' });
    expect(view(t!.id).state).toBe('waiting');
    h.sim.faults.engineUnavailable = true;
    await h.call('settings:set', { scheduleWindow: null });
    await until(() => view(t!.id).state === 'retrying', 30_000, 'a retry');
    expect(view(t!.id).error?.code).toBe('server-error');
    expect(view(t!.id).error?.retryable).toBe(true);
    h.sim.faults.engineUnavailable = false;
    await settled(t!.id);
    expect(view(t!.id).state, view(t!.id).error?.message).toBe('completed');
    expect(view(t!.id).attempts).toBeGreaterThanOrEqual(2);
    expect(view(t!.id).error).toBeNull();
  });

  it('after a restart of the app core, continues an interrupted download from its journal and re-attaches an upload', async () => {
    const dir = await folder('restart');
    // Paced by the limit on its clock (see moveUntil): both are surely running when the core closes,
    // with more data than the steps up to then can release (see the window test).
    await h.call('settings:set', { bandwidthLimit: 4 * MiB });
    const restartDisk = await disk('restart-download', 32);
    const { queued: [t] } = await h.call('transfers:addDownloads', { diskIds: [restartDisk], folder: dir, format: 'raw', existing: 'overwrite' });
    const src = join(h.dir, 'restart-up.raw');
    await makeSparseImage(src, 48 * MiB, [{ start: 0, length: 32 * MiB }]);
    const { queued: [u] } = await h.call('transfers:addUploads', { items: [{ path: src, storageDomainId: dataNfs, diskName: 'restart-upload' }] });
    await moveUntil(() => view(t!.id).progress.bytesOnWire >= 8 * MiB && view(u!.id).progress.bytesOnWire > 0, [t!.id, u!.id], 'some data');
    await h.restart();
    await h.call('engines:demo', undefined);
    await unlimit();
    await settled(t!.id);
    await settled(u!.id);
    expect(view(u!.id).state, view(u!.id).error?.message).toBe('completed');
    expect(view(u!.id).notes.join(' ')).toMatch(/Continued transfer .* after an interruption/);
    await expectDiskEqualsFile(h.sim, view(u!.id).diskId!, src);
    const v = view(t!.id);
    expect(v.state, v.error?.message).toBe('completed');
    // Saved as queued when the core closed, run again by the new one.
    const states = v.timeline.map((s) => s.state);
    expect(states.indexOf('queued', states.indexOf('transferring')), states.join(' ')).toBeGreaterThan(states.indexOf('transferring'));
    expect(storedJob(t!.id)!.result!.resumedBytes).toBeGreaterThan(0);
    await expectFileEqualsDisk(h.sim, restartDisk, v.localPath);
  });
});

describe('app core queue: transfers saved by the interim queue', () => {
  let h: CoreHarness;
  let engineId: string;
  beforeAll(async () => {
    h = await startCore();
    engineId = (await h.call('engines:demo', undefined)).id;
  });
  afterAll(async () => {
    await h.close();
  });

  const view = (id: string) => h.snapshot('transfers:changed').transfers.find((t) => t.id === id)!;

  it('are moved to the engine queue: history kept, a running download continues, a running upload fails with what to check', async () => {
    const dir = join(h.dir, 'migrate');
    await mkdir(dir);
    const now = Date.now();
    const progress = (state: string, total: number | null) => ({ state, bytesDone: 0, bytesTotal: total, bytesOnWire: 0, rate: null, etaSeconds: null, elapsedMs: 0, connections: 0, viaProxy: null });
    const record = (id: string, direction: 'upload' | 'download', state: string, running: boolean, fields: Record<string, unknown>) => ({
      id,
      direction,
      engineId,
      engineName: 'Demo',
      diskId: null,
      storageDomainId: null,
      storageDomainName: null,
      localFormat: 'raw',
      diskFormat: 'raw',
      preallocated: false,
      overwrite: false,
      state,
      running,
      progress: progress(state, null),
      error: null,
      attempts: 1,
      start: 'now',
      createdAt: now - 1000,
      startedAt: now - 500,
      finishedAt: state === 'completed' ? now - 100 : null,
      timeline: [{ state: 'queued', at: now - 1000 }, { state, at: now - 500 }],
      notes: [],
      ...fields,
    });
    const v1 = {
      version: 1,
      transfers: [
        record('d1', 'download', 'transferring', true, { name: 'web-01-disk1', localPath: join(dir, 'web.raw'), diskId: seededDiskId('web-01-disk1'), diskName: 'web-01-disk1' }),
        record('u1', 'upload', 'transferring', true, { name: 'x.raw', localPath: join(dir, 'x.raw'), diskName: 'x', storageDomainId: 'sd', storageDomainName: 'data-nfs' }),
        record('old', 'upload', 'completed', false, { name: 'y.raw', localPath: join(dir, 'y.raw'), diskName: 'y', diskId: 'disk-y', storageDomainId: 'sd', storageDomainName: 'data-nfs' }),
      ],
    };
    await h.restart(() => h.store.write('transfers', v1));
    await h.call('engines:demo', undefined);
    expect(view('u1').state).toBe('failed');
    expect(view('u1').error?.message).toMatch(/closed while this upload ran.*'x'/);
    expect(view('old')).toMatchObject({ state: 'completed', diskId: 'disk-y', storageDomainName: 'data-nfs' });
    await until(() => ['completed', 'failed'].includes(view('d1').state), 30_000, 'the migrated download');
    expect(view('d1').state, view('d1').error?.message).toBe('completed');
    await expectFileEqualsSeed('web-01-disk1', join(dir, 'web.raw'));
    expect((h.store.documents.get('transfers') as { version: number }).version).toBe(2);
    expect(h.logLines.some((l) => l.includes('moved the saved transfers to the new queue'))).toBe(true);
  });
});
