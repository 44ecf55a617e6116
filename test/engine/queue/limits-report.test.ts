/** Slot selection, retry policy and the run report: the queue's pure helpers. */
import { describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../../main/engine/errors.js';
import { createJob, type NewJob, type QueueJob } from '../../../main/engine/queue/job.js';
import { pickStarts } from '../../../main/engine/queue/limits.js';
import { buildReport, reportCsv } from '../../../main/engine/queue/report.js';
import { isRetryable, retryDelay } from '../../../main/engine/queue/retry-policy.js';

let seq = 0;
function job(spec: Partial<NewJob> & { kind?: 'upload' | 'download'; disk?: string }, patch: Partial<QueueJob> = {}): QueueJob {
  const base: NewJob =
    spec.kind === 'download'
      ? { kind: 'download', engine: spec.engine ?? 'e1', download: { disk: spec.disk ?? `d${seq}`, diskName: null, outputDir: '/tmp', size: null } }
      : { kind: 'upload', engine: spec.engine ?? 'e1', upload: { path: `/img/${seq}.raw`, storageDomain: 'sd' } };
  const j = createJob({ ...base, ...(spec.priority !== undefined ? { priority: spec.priority } : {}), storageDomainKey: spec.storageDomainKey ?? null }, `job-${++seq}`, 0);
  return { ...j, ...patch } as QueueJob;
}

describe('pickStarts', () => {
  it('starts by priority, then queue order, up to the global limit', () => {
    const a = job({});
    const b = job({ priority: 5 });
    const c = job({});
    const d = job({ priority: 5 });
    expect(pickStarts([a, b, c, d], [], { concurrency: 3, perEngine: null, perStorageDomain: null }).map((j) => j.id)).toEqual([b.id, d.id, a.id]);
    expect(pickStarts([a, b], [c, d], { concurrency: 3, perEngine: null, perStorageDomain: null }).map((j) => j.id)).toEqual([b.id]);
  });

  it('skips a job whose engine or storage domain is full and starts a later one that fits', () => {
    const busy = [job({ engine: 'e1', storageDomainKey: 'sd1' })];
    const a = job({ engine: 'e1', storageDomainKey: 'sd2' });
    const b = job({ engine: 'e1', storageDomainKey: 'sd1' });
    // Storage domain ids belong to their engine: e2's sd1 is another domain.
    const c = job({ engine: 'e2', storageDomainKey: 'sd1' });
    expect(pickStarts([a, b, c], busy, { concurrency: 10, perEngine: 1, perStorageDomain: null }).map((j) => j.id)).toEqual([c.id]);
    expect(pickStarts([a, b, c], busy, { concurrency: 10, perEngine: null, perStorageDomain: 1 }).map((j) => j.id)).toEqual([a.id, c.id]);
  });

  it('never runs two transfers of one disk at once', () => {
    const busy = [job({ kind: 'download', disk: 'disk-x' })];
    const same = job({ kind: 'download', disk: 'disk-x' });
    const other = job({ kind: 'download', disk: 'disk-y' });
    const twice = job({ kind: 'download', disk: 'disk-y' });
    expect(pickStarts([same, other, twice], busy, { concurrency: 10, perEngine: null, perStorageDomain: null }).map((j) => j.id)).toEqual([other.id]);
  });
});

describe('retry policy', () => {
  it('doubles the delay up to the cap, with jitter in the upper half', () => {
    const p = { maxAttempts: 9, baseDelayMs: 1000, maxDelayMs: 8000 };
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(n, p, () => 0))).toEqual([500, 1000, 2000, 4000, 4000]);
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(n, p, () => 0.999999))).toEqual([1000, 2000, 4000, 8000, 8000]);
  });

  it('retries network trouble, 5xx, timeouts, locks and paused_system; not bad input, gone tickets or verification', () => {
    const e = (code: ConstructorParameters<typeof DiskFerryError>[0], message = 'x') => new DiskFerryError(code, message);
    expect(isRetryable(e('network'))).toBe(true);
    expect(isRetryable(e('server-error'))).toBe(true);
    expect(isRetryable(e('timeout'))).toBe(true);
    expect(isRetryable(e('conflict'))).toBe(true);
    expect(isRetryable(e('transfer-failed', 'The engine paused transfer 1 (paused_system) 4 times while starting it'))).toBe(true);
    expect(isRetryable(e('transfer-failed', 'The engine ended transfer 1 (cancelled_system)'))).toBe(false);
    expect(isRetryable(e('ticket-gone'))).toBe(false);
    expect(isRetryable(e('bad-input'))).toBe(false);
    expect(isRetryable(e('verification-failed'))).toBe(false);
    // Waiting does not help: a running VM stays up, a full domain stays full.
    expect(isRetryable(e('vm-running'))).toBe(false);
    expect(isRetryable(e('domain-full'))).toBe(false);
    expect(isRetryable(new DiskFerryError('cancelled', 'x', { retryable: true }))).toBe(false);
  });
});

describe('run report', () => {
  const done = job(
    { kind: 'download', disk: 'd-1' },
    {
      state: 'completed',
      activeMs: 2000,
      attempts: 2,
      startedAt: 1000,
      finishedAt: 5000,
      result: { diskId: 'd-1', diskName: 'web, "01"', path: '/tmp/web.raw', virtualSize: 100, dataBytes: 64, resumedBytes: 0, bytesOnWire: 64, digest: 'abc' },
    },
  );
  const failed = job({}, { state: 'failed', activeMs: 0, attempts: 1, error: { code: 'bad-input', message: '=cmd|x, bad', retryable: false } });

  it('has a row per job with source, target, bytes, duration, rate, digest, outcome and reason', () => {
    const r = buildReport('r1', [done, failed], 9000);
    expect(r.totals).toMatchObject({ jobs: 2, completed: 1, failed: 1, cancelled: 0, bytes: 64 });
    expect(r.rows[0]).toMatchObject({ outcome: 'completed', source: 'web, "01" (d-1)', target: '/tmp/web.raw', bytes: 64, durationMs: 2000, averageRate: 32, digest: 'abc', reason: null, attempts: 2 });
    expect(r.rows[1]).toMatchObject({ outcome: 'failed', reason: '=cmd|x, bad', code: 'bad-input', averageRate: null, target: `sd/${failed.label}` });
  });

  it('writes CSV that spreadsheets read as data', () => {
    const lines = reportCsv(buildReport('r1', [done, failed], 9000)).trimEnd().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('jobId,kind,engine,source,target,size,bytes,bytesOnWire,durationMs,averageRate,digest,digestAlgorithm,verified,outcome,reason,code,attempts,startedAt,finishedAt');
    expect(lines[1]).toContain('"web, ""01"" (d-1)"');
    expect(lines[1]).toContain('1970-01-01T00:00:01.000Z');
    // A reason that looks like a formula is quoted and defused.
    expect(lines[2]).toContain(`"'=cmd|x, bad"`);
  });

  it('writes the rows of several reports under one header (queue report --csv --all)', () => {
    const lines = reportCsv([buildReport('r1', [done], 9000), buildReport('r2', [failed], 9500)]).trimEnd().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines.filter((l) => l.startsWith('jobId,'))).toHaveLength(1);
    expect(lines[1]).toContain(',completed,');
    expect(lines[2]).toContain(',failed,');
  });
});
