/**
 * The window's rates under a shared bandwidth limit: the rows' meters may briefly sum to more than
 * the limit after a resume (each averages its own turns), while the bytes on the wire never exceed
 * it; the snapshot scales them down together. The whole flow runs in test/e2e/bandwidth.spec.ts.
 */
import { describe, expect, it } from 'vitest';
import { withinLimit } from '../../main/app/transfers/transfers-service.js';
import type { TransferView } from '../../shared/ipc.js';

const MiB = 1024 * 1024;

/** A row with the fields `withinLimit` reads; the rest of a view does not take part. */
function row(id: string, state: TransferView['state'], rate: number | null, etaSeconds: number | null = null): TransferView {
  return { id, state, progress: { state, rate, etaSeconds, bytesDone: 0, bytesTotal: null, dataDone: 0, dataTotal: null, bytesOnWire: 0, elapsedMs: 0, connections: 4, viaProxy: false } } as unknown as TransferView;
}

describe('withinLimit', () => {
  it('scales the running rows down together when they sum to more than the limit, time left with them', () => {
    const rows = [row('a', 'transferring', 6 * MiB, 10), row('b', 'transferring', 4 * MiB, 30), row('c', 'paused', null), row('d', 'queued', null)];
    const shown = withinLimit(rows, 8 * MiB);
    expect(shown[0]!.progress.rate).toBeCloseTo(4.8 * MiB);
    expect(shown[1]!.progress.rate).toBeCloseTo(3.2 * MiB);
    expect(shown.slice(2).map((r) => r.progress.rate)).toEqual([null, null]);
    expect(shown[0]!.progress.etaSeconds).toBeCloseTo(12.5);
    expect(shown[1]!.progress.etaSeconds).toBeCloseTo(37.5);
    expect(shown[2]).toBe(rows[2]);
  });

  it('leaves the rows alone under the limit, or with no limit', () => {
    const rows = [row('a', 'transferring', 5 * MiB, 10), row('b', 'transferring', 3 * MiB, 30)];
    expect(withinLimit(rows, 8 * MiB)).toBe(rows);
    const over = [row('a', 'transferring', 50 * MiB, 10)];
    expect(withinLimit(over, null)).toBe(over);
  });

  it('counts only the rows that move: a finished row’s rate is neither counted nor changed', () => {
    const rows = [row('a', 'transferring', 9 * MiB, 10), row('b', 'completed', 9 * MiB)];
    const shown = withinLimit(rows, 8 * MiB);
    expect(shown[0]!.progress.rate).toBeCloseTo(8 * MiB);
    expect(shown[1]).toBe(rows[1]);
  });
});
