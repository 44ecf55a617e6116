/**
 * Pure parts of the app's queue adapter: how engine queue jobs map to the window's transfer views
 * (state words, progress, errors, actions), how the app's settings map to the queue's, and the
 * download file names.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, TransferViewSchema } from '../../shared/schemas/index.js';
import { createJob, type QueueJob } from '../../main/engine/queue/job.js';
import { queueSettingsOf } from '../../main/app/transfers/engine-queue-adapter.js';
import { transferView, type TransferMeta } from '../../main/app/transfers/record.js';
import { expandTemplate, safeFileName } from '../../main/app/transfers/naming.js';

const META: TransferMeta = {
  direction: 'download',
  engineName: 'prod',
  name: 'db01-disk0',
  localPath: '/dl/db01-disk0.qcow2',
  diskName: 'db01-disk0',
  storageDomainName: null,
  localFormat: 'qcow2',
  diskFormat: 'cow',
  bytesTotal: 1000,
  notes: ['queued from the window'],
};

function job(patch: Partial<QueueJob> = {}): QueueJob {
  const j = createJob({ id: 'j1', kind: 'download', engine: 'e1', label: 'db01-disk0', start: 'now', download: { disk: 'd1', diskName: 'db01-disk0', outputDir: '/dl', file: '/dl/db01-disk0.qcow2', size: 1000, format: 'qcow2' } }, 'x', 1000);
  return { ...j, ...patch } as QueueJob;
}

describe('transfer views of engine queue jobs', () => {
  it('keeps the job\'s state, attempts, times, timeline and error, and the display fields', () => {
    const error = { code: 'server-error' as const, message: 'The engine answered 503. It is retried.', retryable: true };
    const v = transferView(job({ state: 'retrying', attempts: 2, error, startedAt: 2000, notes: ['retrying'], timeline: [{ state: 'queued', at: 1000 }, { state: 'retrying', at: 3000 }] }), META, null);
    expect(TransferViewSchema.safeParse(v).success).toBe(true);
    expect(v).toMatchObject({ id: 'j1', state: 'retrying', engineId: 'e1', engineName: 'prod', attempts: 2, error, startedAt: 2000, localFormat: 'qcow2', diskFormat: 'cow', localPath: '/dl/db01-disk0.qcow2' });
    expect(v.progress.state).toBe('retrying');
    expect(v.timeline.map((t) => t.state)).toEqual(['queued', 'retrying']);
    expect(v.notes).toEqual(['queued from the window', 'retrying']);
    expect(v.actions).toMatchObject({ pause: true, resume: false, cancel: true, retry: false, remove: false, move: true });
  });

  it('shows the run\'s live progress while it runs, and none of it once it stopped', () => {
    const live = { state: 'transferring' as const, bytesDone: 400, bytesTotal: 1000, dataDone: 300, dataTotal: 900, bytesOnWire: 300, rate: 100, etaSeconds: 6, elapsedMs: 4000, connections: 4, viaProxy: false };
    const running = job({ state: 'transferring', progress: { bytesDone: 400, bytesTotal: 1000, bytesOnWire: 300, rate: 100 } });
    expect(transferView(running, META, live).progress).toMatchObject({ bytesDone: 400, rate: 100, etaSeconds: 6, connections: 4, viaProxy: false });
    const paused = transferView({ ...running, state: 'paused' }, META, { ...live, state: 'paused' });
    expect(paused.progress).toMatchObject({ state: 'paused', rate: null, etaSeconds: null });
    expect(paused.actions).toMatchObject({ pause: false, resume: true, cancel: true });
    const failed = transferView({ ...running, state: 'failed', activeMs: 5000 }, META, null);
    expect(failed.progress).toMatchObject({ bytesDone: 400, rate: null, connections: 0, elapsedMs: 5000, viaProxy: null });
    expect(failed.actions).toMatchObject({ retry: true, remove: true, cancel: false, pause: false, move: false });
  });

  it('cannot pause a run that finalizes; an upload\'s cancel deletes its disk until it ends', () => {
    expect(transferView(job({ state: 'finalizing' }), META, null).actions.pause).toBe(false);
    const upload = { ...META, direction: 'upload' as const };
    expect(transferView(job({ state: 'transferring' }), upload, null).cancelDeletesDisk).toBe(true);
    expect(transferView(job({ state: 'completed' }), upload, null).cancelDeletesDisk).toBe(false);
  });

  it('a completed job counts its data from its result when no progress with it was saved; only a window job can start now', () => {
    const result = { diskId: 'd1', diskName: 'db01-disk0', path: '/dl/db01-disk0.qcow2', virtualSize: 1000, dataBytes: 250, resumedBytes: 0, bytesOnWire: 250, digest: null };
    const done = transferView(job({ state: 'completed', result, activeMs: 2000, progress: { bytesDone: 1000, bytesTotal: 1000, bytesOnWire: 250, rate: null } }), META, null);
    expect(done.progress).toMatchObject({ dataDone: 250, dataTotal: 250, elapsedMs: 2000 });
    expect(transferView(job({ state: 'waiting', start: 'window' }), META, null).actions.startNow).toBe(true);
    expect(transferView(job({ state: 'paused', start: 'window' }), META, null).actions.startNow).toBe(true);
    expect(transferView(job({ state: 'queued', start: 'now' }), META, null).actions.startNow).toBe(false);
    expect(transferView(job({ state: 'transferring', start: 'window' }), META, null).actions.startNow).toBe(false);
  });

  it('names the downloaded file from the result once done', () => {
    const result = { diskId: 'd1', diskName: 'db01-disk0', path: '/dl/other.qcow2', virtualSize: 1000, dataBytes: 10, resumedBytes: 0, bytesOnWire: 10, digest: null };
    expect(transferView(job({ state: 'completed', result }), META, null).localPath).toBe('/dl/other.qcow2');
  });
});

describe('queue settings from the app settings', () => {
  it('maps concurrency, the per-domain limit, the window, the bandwidth limit and retries', () => {
    const s = queueSettingsOf({ ...DEFAULT_SETTINGS, maxConcurrent: 3, maxPerStorageDomain: 1, scheduleWindow: { start: '22:00', end: '06:00' }, bandwidthLimit: 1048576, maxRetries: 2 });
    expect(s.limits).toEqual({ concurrency: 3, perEngine: null, perStorageDomain: 1 });
    expect(s.windows).toEqual([{ start: '22:00', end: '06:00' }]);
    expect(s.bandwidth).toBe(1048576);
    expect(s.retry.maxAttempts).toBe(3);
    const none = queueSettingsOf(DEFAULT_SETTINGS, 50);
    expect(none).toMatchObject({ windows: [], bandwidth: null, limits: { perStorageDomain: null } });
    expect(none.retry.baseDelayMs).toBe(50);
  });

});

describe('download names', () => {
  const fields = { disk: 'db01/disk0', id: 'abc', vm: null, ext: 'raw' as const, now: Date.UTC(2025, 0, 31) };
  it('expands placeholders, drops an unknown VM with its separator, and makes names safe', () => {
    expect(expandTemplate('{vm}-{disk}.{ext}', fields)).toBe('db01_disk0.raw');
    expect(expandTemplate('{vm}-{disk}.{ext}', { ...fields, vm: 'web' })).toBe('web-db01_disk0.raw');
    expect(expandTemplate('{disk}-{date}', fields)).toBe('db01_disk0-2025-01-31.raw');
    expect(expandTemplate('{id}.{ext}', fields)).toBe('abc.raw');
    expect(safeFileName('..hidden')).toBe('_hidden');
    expect(safeFileName('')).toBe('disk');
  });
});
