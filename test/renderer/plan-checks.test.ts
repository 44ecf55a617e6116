/** What the plan sheets say before and after a start: the room check, the running VMs, the outcome's counts. */
import { describe, expect, it } from 'vitest';
import type { AddTransfersResult, SpaceNeed } from '../../shared/ipc.js';
import { outcomeCounts, runningVms, skippedAt, spaceNeed, spaceVerdict } from '../../renderer/lib/plan-checks.js';
import { disk, transfer } from './fixtures.js';

const GiB = 1024 ** 3;
const needs: SpaceNeed[] = [
  { diskFormat: 'raw', preallocated: false, isBlock: false, bytes: GiB },
  { diskFormat: 'raw', preallocated: true, isBlock: false, bytes: 4 * GiB },
  { diskFormat: 'raw', preallocated: false, isBlock: true, bytes: 4 * GiB },
  { diskFormat: 'cow', preallocated: false, isBlock: false, bytes: 1.2 * GiB },
];
const item = { spaceNeeded: needs };
const nfs = (available: number | null, criticalSpace: number | null = 5 * GiB) => ({
  isBlock: false,
  available,
  criticalSpace,
  room: available === null ? null : criticalSpace !== null && available < criticalSpace ? 0 : available,
});

describe('plan checks', () => {
  it('picks the room of the choices and the kind of storage', () => {
    expect(spaceNeed(item, 'raw', true, false)).toBe(4 * GiB);
    expect(spaceNeed(item, 'raw', false, true)).toBe(4 * GiB);
    expect(spaceNeed(item, 'cow', true, true)).toBeNull();
  });

  it('says a preallocated 4 GiB file does not fit in 3 GiB, and why a domain below its threshold takes nothing', () => {
    expect(spaceVerdict(item, 'raw', true, nfs(3 * GiB, 1 * GiB))).toEqual({ kind: 'short', need: 4 * GiB, free: 3 * GiB });
    expect(spaceVerdict(item, 'raw', false, nfs(3 * GiB, 1 * GiB))).toEqual({ kind: 'fits' });
    expect(spaceVerdict(item, 'raw', false, nfs(3 * GiB))).toEqual({ kind: 'below-threshold', free: 3 * GiB, threshold: 5 * GiB });
    expect(spaceVerdict(item, 'raw', false, nfs(null))).toEqual({ kind: 'unknown' });
    expect(spaceVerdict({ spaceNeeded: [] }, 'raw', false, nfs(3 * GiB, 0))).toEqual({ kind: 'unknown' });
    expect(spaceVerdict(item, 'raw', false, null)).toEqual({ kind: 'unknown' });
  });

  it('lists the VMs that keep a disk from being downloaded', () => {
    expect(runningVms(disk({ id: 'a', name: 'a', vmNames: ['app-01'], runningVmNames: ['app-01'] }))).toEqual(['app-01']);
    expect(runningVms(disk({ id: 'b', name: 'b', vmNames: ['web-01'], runningVmNames: [] }))).toEqual([]);
    expect(runningVms(disk({ id: 'c', name: 'c', vmNames: null, runningVmNames: null }))).toEqual([]);
  });

  it('counts what a start queued and left out, by reason, in one order', () => {
    const result: AddTransfersResult = {
      queued: Array.from({ length: 11 }, (_, i) => transfer({ id: `t${i}` })),
      skipped: [
        { index: 7, name: 'x', reason: 'exists', message: '' },
        { index: 3, name: 'y', reason: 'in-queue', message: '' },
      ],
    };
    expect(outcomeCounts(result)).toEqual({
      queued: 11,
      skipped: [
        { reason: 'in-queue', count: 1 },
        { reason: 'exists', count: 1 },
      ],
    });
    expect(skippedAt(result, 3)).toBe('in-queue');
    expect(skippedAt(result, 4)).toBeUndefined();
  });
});
