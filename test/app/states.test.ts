import { describe, expect, it } from 'vitest';
import { insideWindow } from '../../main/app/transfers/schedule.js';
import { nextState } from '../../main/app/transfers/states.js';
import { expandTemplate, safeFileName } from '../../main/app/transfers/naming.js';

describe('transfer state transitions', () => {
  it('starts queued and waiting jobs only', () => {
    expect(nextState('queued', { type: 'start' }, false)).toBe('preparing');
    expect(nextState('waiting', { type: 'start' }, false)).toBe('preparing');
    expect(nextState('paused', { type: 'start' }, false)).toBeNull();
    expect(nextState('completed', { type: 'start' }, false)).toBeNull();
  });

  it('pauses a waiting job at once and a running one through its run', () => {
    expect(nextState('queued', { type: 'pause' }, false)).toBe('paused');
    expect(nextState('transferring', { type: 'pause' }, true)).toBe('paused');
    expect(nextState('failed', { type: 'pause' }, false)).toBeNull();
    expect(nextState('paused', { type: 'resume' }, false)).toBe('queued');
    expect(nextState('paused', { type: 'resume' }, true)).toBe('transferring');
  });

  it('takes engine phases only while a run exists, never a terminal one', () => {
    expect(nextState('preparing', { type: 'phase', state: 'transferring' }, true)).toBe('transferring');
    expect(nextState('preparing', { type: 'phase', state: 'transferring' }, false)).toBeNull();
    expect(nextState('transferring', { type: 'phase', state: 'completed' }, true)).toBeNull();
  });

  it('fails into retrying or failed, and retries finished jobs on request', () => {
    expect(nextState('transferring', { type: 'fail', willRetry: true }, true)).toBe('retrying');
    expect(nextState('transferring', { type: 'fail', willRetry: false }, true)).toBe('failed');
    expect(nextState('retrying', { type: 'retry' }, false)).toBe('queued');
    expect(nextState('cancelled', { type: 'retry' }, false)).toBe('queued');
    expect(nextState('completed', { type: 'retry' }, false)).toBeNull();
    expect(nextState('completed', { type: 'cancel' }, false)).toBeNull();
  });

  it('recovers interrupted runs: downloads queue again, uploads fail', () => {
    expect(nextState('transferring', { type: 'recover', resumable: true }, true)).toBe('queued');
    expect(nextState('transferring', { type: 'recover', resumable: false }, true)).toBe('failed');
    expect(nextState('queued', { type: 'recover', resumable: false }, false)).toBe('queued');
  });
});

describe('schedule window', () => {
  it('handles windows inside a day and across midnight', () => {
    expect(insideWindow({ start: '09:00', end: '17:00' }, 9 * 60)).toBe(true);
    expect(insideWindow({ start: '09:00', end: '17:00' }, 17 * 60)).toBe(false);
    expect(insideWindow({ start: '22:00', end: '06:00' }, 23 * 60)).toBe(true);
    expect(insideWindow({ start: '22:00', end: '06:00' }, 5 * 60 + 59)).toBe(true);
    expect(insideWindow({ start: '22:00', end: '06:00' }, 12 * 60)).toBe(false);
    expect(insideWindow({ start: '00:00', end: '00:00' }, 12 * 60)).toBe(true);
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
