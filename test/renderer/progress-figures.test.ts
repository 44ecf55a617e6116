/** What a row shows of its progress: the data's share, no rate outside transferring, the tail as such, formats in the data's direction. */
import { describe, expect, it } from 'vitest';
import { batchFigures, formatDirection, rowFigures } from '../../renderer/lib/progress-figures.js';
import { transfer } from './fixtures.js';

const MiB = 1024 * 1024;

function progress(over: Partial<ReturnType<typeof transfer>['progress']>) {
  return { ...transfer({ id: 'x' }).progress, ...over };
}

describe('rowFigures', () => {
  it('counts the data, not the holes: 8 GiB of holes done at once do not make the bar jump', () => {
    const f = rowFigures({ state: 'transferring', progress: progress({ bytesDone: 8192 * MiB + 10 * MiB, bytesTotal: 8192 * MiB + 40 * MiB, dataDone: 10 * MiB, dataTotal: 40 * MiB, rate: 5 * MiB, etaSeconds: 6 }) });
    expect(f.fraction).toBeCloseTo(0.25, 5);
    expect(f.holes).toBe(8192 * MiB);
    expect(f.rate).toBe(5 * MiB);
    expect(f.etaSeconds).toBe(6);
  });

  it('shows no rate nor time left while paused, verifying or finalizing; the tail is a full, busy bar', () => {
    for (const state of ['paused', 'verifying', 'finalizing', 'retrying', 'completed'] as const) {
      const f = rowFigures({ state, progress: progress({ bytesDone: 99, bytesTotal: 100, dataDone: 99, dataTotal: 100, rate: 2 * MiB, etaSeconds: 0 }) });
      expect(f.rate).toBeNull();
      expect(f.etaSeconds).toBeNull();
    }
    expect(rowFigures({ state: 'finalizing', progress: progress({ bytesDone: 99, bytesTotal: 100, dataDone: 99, dataTotal: 100 }) })).toMatchObject({ fraction: 1, tail: true });
    expect(rowFigures({ state: 'transferring', progress: progress({ bytesDone: 99, bytesTotal: 100 }) })).toMatchObject({ tail: false, moving: true });
  });

  it('falls back to the guest bytes when the data is not known, and to them for an image of holes only', () => {
    expect(rowFigures({ state: 'transferring', progress: progress({ bytesDone: 30, bytesTotal: 120, dataTotal: null }) }).fraction).toBeCloseTo(0.25, 5);
    expect(rowFigures({ state: 'transferring', progress: progress({ bytesDone: 120, bytesTotal: 120, dataDone: 0, dataTotal: 0 }) }).fraction).toBe(1);
  });

  it('never shows a negative rate', () => {
    expect(rowFigures({ state: 'transferring', progress: progress({ rate: -33 * MiB, etaSeconds: -4 }) })).toMatchObject({ rate: null, etaSeconds: null });
  });
});

describe('formatDirection', () => {
  it('shows the formats the way the data goes', () => {
    expect(formatDirection({ direction: 'download', localFormat: 'raw', diskFormat: 'cow' })).toBe('cow → raw');
    expect(formatDirection({ direction: 'upload', localFormat: 'qcow2', diskFormat: 'cow' })).toBe('qcow2 → cow');
    expect(formatDirection({ direction: 'download', localFormat: 'qcow2', diskFormat: null })).toBe('— → qcow2');
  });
});

describe('batchFigures', () => {
  it('sums the data the queue still moves (holes apart) and the rows\' rates; completed ones of the batch count as done', () => {
    const moving = transfer({ id: 'a', state: 'transferring', createdAt: 100, progress: progress({ state: 'transferring', bytesDone: 900 * MiB, bytesTotal: 1024 * MiB, dataDone: 40 * MiB, dataTotal: 100 * MiB, rate: 6 * MiB }) });
    const queued = transfer({ id: 'b', state: 'queued', createdAt: 200, progress: progress({ bytesTotal: 40 * MiB, dataTotal: null }) });
    const done = transfer({ id: 'c', state: 'completed', createdAt: 50, finishedAt: 300, progress: progress({ state: 'completed', bytesDone: 60 * MiB, bytesTotal: 60 * MiB, dataDone: 60 * MiB, dataTotal: 60 * MiB }) });
    const before = transfer({ id: 'd', state: 'completed', finishedAt: 90, progress: progress({ state: 'completed', bytesTotal: 5000 * MiB, dataTotal: 5000 * MiB }) });
    const failed = transfer({ id: 'e', state: 'failed', createdAt: 150, progress: progress({ bytesTotal: 70 * MiB }) });
    const b = batchFigures([moving, queued, done, before, failed])!;
    expect(b.count).toBe(3);
    // 100 + 40 + 60 MiB of data, 40 + 0 + 60 done; 100 MiB left at 6 MiB/s.
    expect(b.fraction).toBeCloseTo(100 / 200, 5);
    expect(b.left).toBe(100 * MiB);
    expect(b.rate).toBe(6 * MiB);
    expect(b.etaSeconds).toBeCloseTo(100 / 6, 5);
    // The rate is the rows' own: a paused row shows none, and without one there is no time left.
    const paused = batchFigures([{ ...moving, state: 'paused' }, queued])!;
    expect(paused.rate).toBe(0);
    expect(paused.etaSeconds).toBeNull();
  });

  it('has no fraction nor time left while a size is unknown, and no batch once nothing is left to do', () => {
    const unknown = transfer({ id: 'u', state: 'transferring', progress: progress({ state: 'transferring', bytesTotal: null, rate: MiB }) });
    expect(batchFigures([unknown])).toMatchObject({ fraction: null, etaSeconds: null });
    expect(batchFigures([transfer({ id: 'x', state: 'completed' }), transfer({ id: 'y', state: 'failed' })])).toBeNull();
  });
});
