import { describe, expect, it } from 'vitest';
import type { TransfersChange, TransfersSnapshot, TransferView } from '../../shared/ipc.js';
import { TransfersChangeSchema } from '../../shared/schemas/index.js';
import { TransfersDeltaEncoder } from '../../main/app/transfer-deltas.js';
import { applyTransfersChange } from '../../renderer/state/transfers-change.js';
import { transfer } from '../renderer/fixtures.js';

const summary = { running: 1, pending: 999, completed: 0, failed: 0, rate: 0 };
const snap = (seq: number, transfers: TransferView[]): TransfersSnapshot => ({ seq, transfers, summary });
const EMPTY: TransfersSnapshot = { seq: -1, transfers: [], summary };

/** Applies events in order the way the window does; throws on a resync. */
function replay(changes: TransfersChange[], from: TransfersSnapshot = EMPTY): TransfersSnapshot {
  let held = from;
  for (const c of changes) {
    const next = applyTransfersChange(held, c);
    if (next === 'resync') throw new Error(`resync at ${c.seq}`);
    held = next;
  }
  return held;
}

describe('transfer deltas (core encoder → window)', () => {
  it('sends a whole snapshot first, then only the changed views and the order', () => {
    const enc = new TransfersDeltaEncoder();
    const jobs = Array.from({ length: 1000 }, (_, i) => transfer({ id: `t${i}`, name: `disk-${i}.raw` }));
    const first = enc.encode(snap(1, jobs));
    expect(first.kind).toBe('snapshot');
    const running = { ...jobs[0]!, state: 'transferring' as const, progress: { ...jobs[0]!.progress, bytesDone: 4096 } };
    const second = enc.encode(snap(2, [running, ...jobs.slice(1)]));
    expect(second).toMatchObject({ kind: 'delta', baseSeq: 1, seq: 2, changed: [running] });
    expect(TransfersChangeSchema.safeParse(second).success).toBe(true);
    // The point of it: a delta with one running job among 1,000 is a small fraction of a snapshot.
    expect(JSON.stringify(second).length * 10).toBeLessThan(JSON.stringify(first).length);
    expect(replay([first, second])).toEqual(snap(2, [running, ...jobs.slice(1)]));
  });

  it('carries removals and moves through the order, and a window ends equal to the core', () => {
    const enc = new TransfersDeltaEncoder();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => transfer({ id }));
    const d = transfer({ id: 'd' });
    const states = [snap(1, [a!, b!, c!]), snap(2, [c!, a!, b!]), snap(3, [c!, b!]), snap(4, [d!, c!, { ...b!, state: 'paused' }])];
    const events = states.map((s) => enc.encode(s));
    expect(events.slice(1).every((e) => e.kind === 'delta')).toBe(true);
    expect(replay(events)).toEqual(states[3]);
  });

  it('asks for a resync when a delta does not apply to what the window holds, and ignores stale events', () => {
    const enc = new TransfersDeltaEncoder();
    const a = transfer({ id: 'a' });
    const first = enc.encode(snap(1, [a]));
    const second = enc.encode(snap(2, [a, transfer({ id: 'b' })]));
    const third = enc.encode(snap(3, [a]));
    // A window that missed `first` (it reloaded) cannot apply the delta.
    expect(applyTransfersChange(EMPTY, second)).toBe('resync');
    // A window that skipped `second` neither.
    expect(applyTransfersChange(replay([first]), third)).toBe('resync');
    // An event older than what a window holds (it re-read the list meanwhile) changes nothing.
    const fresh = snap(5, [a]);
    expect(applyTransfersChange(fresh, second)).toBe(fresh);
    // After a reset (the window called transfers:list) the next event is whole again.
    enc.reset();
    expect(enc.encode(snap(6, [a])).kind).toBe('snapshot');
  });
});
