/** The disk list is read again after a transfer changed the disks, and on a modest poll only while the window is visible. */
import { describe, expect, it } from 'vitest';
import type { EngineProfileView, TransfersSnapshot, TransferView } from '../../shared/ipc.js';
import { INITIAL_STATE } from '../../renderer/state/app-state.js';
import { diskSignature, keepCatalogFresh, POLL_MS, SETTLE_MS, type FreshnessEnv } from '../../renderer/state/catalog-freshness.js';
import { createStore } from '../../renderer/state/store.js';
import { transfer } from './fixtures.js';

const summary = { running: 0, pending: 0, completed: 0, failed: 0, rate: 0 };

/** Fake timers and visibility: time moves only when the test says. */
function fakeEnv() {
  let now = 0;
  let visible = true;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const listeners = new Set<() => void>();
  const env: FreshnessEnv = {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void timers.delete(h as number),
    isVisible: () => visible,
    onVisibilityChange: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
  return {
    env,
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const next = [...timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > end) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = end;
    },
    setVisible(v: boolean) {
      visible = v;
      for (const l of listeners) l();
    },
    pending: () => timers.size,
  };
}

function profile(id: string): EngineProfileView {
  return { id, name: id, engineUrl: 'https://e/ovirt-engine', username: 'admin@internal', caFingerprint: null, caSubject: null, systemTrust: false, passwordSaved: true, demo: false, status: 'connected', engineVersion: '4.5', error: null, away: null, proxy: 'system' };
}

function setup() {
  const fake = fakeEnv();
  const store = createStore(INITIAL_STATE);
  store.dispatch({ type: 'engines', engines: { profiles: [profile('e1')], selectedId: 'e1' } });
  store.dispatch({ type: 'catalog/loaded', engineId: 'e1', domains: [], disks: [] });
  let seq = 0;
  const show = (transfers: TransferView[]) => store.dispatch({ type: 'transfers', snapshot: { seq: ++seq, transfers, summary } satisfies TransfersSnapshot });
  let loads = 0;
  const stop = keepCatalogFresh(store, async () => void loads++, fake.env);
  return { fake, show, stop, loads: () => loads };
}

describe('diskSignature', () => {
  it('changes when a transfer of the engine gets a disk, starts or ends, and not for progress or another engine', () => {
    const base = [transfer({ id: 'a', direction: 'upload', diskId: null, state: 'queued' }), transfer({ id: 'b', engineId: 'e2', state: 'transferring' })];
    const sig = diskSignature(base, 'e1');
    expect(diskSignature([{ ...base[0]!, state: 'waiting' }, base[1]!], 'e1')).toBe(sig);
    expect(diskSignature([base[0]!, { ...base[1]!, state: 'cancelled' }], 'e1')).toBe(sig);
    const created = diskSignature([{ ...base[0]!, state: 'preparing', diskId: 'd1' }, base[1]!], 'e1');
    expect(created).not.toBe(sig);
    const running = diskSignature([{ ...base[0]!, state: 'transferring', diskId: 'd1' }, base[1]!], 'e1');
    expect(running).toBe(created);
    expect(diskSignature([{ ...base[0]!, state: 'cancelled', diskId: 'd1' }, base[1]!], 'e1')).not.toBe(running);
  });
});

describe('keepCatalogFresh', () => {
  it('reads the disks again soon after a cancelled upload, once for a burst', () => {
    const t = setup();
    // A running upload's new (locked) disk is read too.
    t.show([transfer({ id: 'a', direction: 'upload', state: 'transferring', diskId: 'd1' })]);
    t.fake.advance(SETTLE_MS);
    expect(t.loads()).toBe(1);
    t.show([transfer({ id: 'a', direction: 'upload', state: 'transferring', diskId: 'd1', progress: { ...transfer({ id: 'a' }).progress, bytesDone: 512 } })]);
    t.fake.advance(SETTLE_MS * 2);
    expect(t.loads()).toBe(1);
    t.show([transfer({ id: 'a', direction: 'upload', state: 'cancelled', diskId: 'd1' })]);
    t.show([transfer({ id: 'a', direction: 'upload', state: 'cancelled', diskId: 'd1' }), transfer({ id: 'b', state: 'failed' })]);
    t.fake.advance(SETTLE_MS - 1);
    expect(t.loads()).toBe(1);
    t.fake.advance(1);
    expect(t.loads()).toBe(2);
    t.stop();
  });

  it('polls the visible list, not a hidden one, and reads a stale list at once when shown again', () => {
    const t = setup();
    t.fake.advance(POLL_MS);
    expect(t.loads()).toBe(1);
    t.fake.advance(POLL_MS);
    expect(t.loads()).toBe(2);
    t.fake.setVisible(false);
    t.fake.advance(POLL_MS * 5);
    expect(t.loads()).toBe(2);
    t.fake.setVisible(true);
    expect(t.loads()).toBe(3);
    t.stop();
    t.fake.advance(POLL_MS * 3);
    expect(t.loads()).toBe(3);
    expect(t.fake.pending()).toBe(0);
  });
});
