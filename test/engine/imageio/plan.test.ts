import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_SIZE, planRanges, planTotals } from '../../../main/engine/imageio/plan.js';

const MiB = 1024 * 1024;

describe('planRanges', () => {
  it('splits a long data run into requests of at most 128 MiB', () => {
    const plan = planRanges([{ start: 0, length: 300 * MiB, zero: false }]);
    expect(plan).toEqual([
      { start: 0, length: 128 * MiB, zero: false },
      { start: 128 * MiB, length: 128 * MiB, zero: false },
      { start: 256 * MiB, length: 44 * MiB, zero: false },
    ]);
    expect(Math.max(...plan.map((r) => r.length))).toBe(MAX_REQUEST_SIZE);
  });

  it('merges adjacent extents of the same kind and treats holes as zero', () => {
    const plan = planRanges([
      { start: 0, length: 10, zero: false },
      { start: 10, length: 5, zero: false },
      { start: 15, length: 5, zero: true },
      { start: 20, length: 5, zero: false, hole: true },
      { start: 25, length: 1, zero: false },
    ]);
    expect(plan).toEqual([
      { start: 0, length: 15, zero: false },
      { start: 15, length: 10, zero: true },
      { start: 25, length: 1, zero: false },
    ]);
  });

  it('drops empty extents and honours a custom request size', () => {
    const plan = planRanges(
      [
        { start: 0, length: 0, zero: false },
        { start: 0, length: 10, zero: true },
      ],
      { maxRequest: 4 },
    );
    expect(plan.map((r) => r.length)).toEqual([4, 4, 2]);
    expect(planTotals(plan)).toEqual({ dataBytes: 0, zeroBytes: 10 });
  });

  it('rejects a non-positive request size', () => {
    expect(() => planRanges([], { maxRequest: 0 })).toThrow(RangeError);
  });
});
