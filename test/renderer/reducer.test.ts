import { describe, expect, it } from 'vitest';
import type { EnginesState, TransfersSnapshot } from '../../shared/ipc.js';
import { INITIAL_STATE } from '../../renderer/state/app-state.js';
import { reduce } from '../../renderer/state/reducer.js';
import { createStore } from '../../renderer/state/store.js';
import { disk, transfer } from './fixtures.js';

const summary = { running: 0, pending: 0, completed: 0, failed: 0, rate: 0 };
const snapshot = (seq: number, ids: string[]): TransfersSnapshot => ({ seq, transfers: ids.map((id) => transfer({ id })), summary });
const engines = (selectedId: string | null): EnginesState => ({ profiles: [], selectedId });

describe('store reducer', () => {
  it('ignores a transfers snapshot older than the one held', () => {
    const s1 = reduce(INITIAL_STATE, { type: 'transfers', snapshot: snapshot(5, ['a']) });
    const s2 = reduce(s1, { type: 'transfers', snapshot: snapshot(4, ['b']) });
    expect(s2).toBe(s1);
  });

  it("closes a sheet by name only while it is the open one (a late save leaves the plan dropped meanwhile)", () => {
    const settings = { kind: 'settings' } as const;
    const plan = { kind: 'paths', names: ['a.raw'] } as const;
    let s = reduce(INITIAL_STATE, { type: 'sheet/open', sheet: settings });
    s = reduce(s, { type: 'sheet/open', sheet: plan });
    expect(reduce(s, { type: 'sheet/close', sheet: settings })).toBe(s);
    // An action that started with no sheet open closes none.
    expect(reduce(s, { type: 'sheet/close', sheet: null })).toBe(s);
    expect(reduce(s, { type: 'sheet/close', sheet: plan }).sheet).toBeNull();
    expect(reduce(s, { type: 'sheet/close' }).sheet).toBeNull();
  });

  it('opens a sheet after a wait only over the sheet it started from, or none', () => {
    const settings = { kind: 'settings' } as const;
    const addEngine = { kind: 'add-engine' } as const;
    const plan = { kind: 'paths', names: ['a.raw'] } as const;
    // Started with the settings open; the user opened Add engine meanwhile: it stays.
    const typing = reduce(reduce(INITIAL_STATE, { type: 'sheet/open', sheet: settings }), { type: 'sheet/open', sheet: addEngine });
    expect(reduce(typing, { type: 'sheet/open', sheet: plan, replacing: settings })).toBe(typing);
    // Still the sheet it started from, or none since: it opens.
    expect(reduce(typing, { type: 'sheet/open', sheet: plan, replacing: addEngine }).sheet).toBe(plan);
    expect(reduce(INITIAL_STATE, { type: 'sheet/open', sheet: plan, replacing: settings }).sheet).toBe(plan);
    // A user's own action opens over anything.
    expect(reduce(typing, { type: 'sheet/open', sheet: plan }).sheet).toBe(plan);
  });

  it('forgets expanded rows whose transfer is gone', () => {
    let s = reduce(INITIAL_STATE, { type: 'transfers', snapshot: snapshot(1, ['a', 'b']) });
    s = reduce(s, { type: 'transfer/toggle', id: 'a' });
    s = reduce(s, { type: 'transfer/toggle', id: 'b' });
    s = reduce(s, { type: 'transfers', snapshot: snapshot(2, ['b']) });
    expect(s.expandedTransferIds).toEqual(['b']);
  });

  it('clears the catalog and the disk selection when another engine is selected', () => {
    let s = reduce(INITIAL_STATE, { type: 'engines', engines: engines('e1') });
    s = reduce(s, { type: 'catalog/loaded', engineId: 'e1', domains: [], disks: [disk({ id: 'd1', name: 'x' })] });
    s = reduce(s, { type: 'disks/toggle', id: 'd1' });
    expect(s.selectedDiskIds).toEqual(['d1']);
    s = reduce(s, { type: 'engines', engines: engines('e2') });
    expect(s.catalog.disks).toEqual([]);
    expect(s.selectedDiskIds).toEqual([]);
  });

  it('keeps the VMs of the selected engine only, and drops selected VMs the engine no longer has', () => {
    const vm = (id: string) => ({ id, name: id, status: 'up', disks: [], lastBackup: null });
    let s = reduce(INITIAL_STATE, { type: 'engines', engines: engines('e1') });
    s = reduce(s, { type: 'vms/loaded', engineId: 'e1', list: { vms: [vm('a'), vm('b')], backupFolder: '/srv/backups' } });
    s = reduce(s, { type: 'vms/select', ids: ['a', 'b', 'a'] });
    expect(s.selectedVmIds).toEqual(['a', 'b']);
    s = reduce(s, { type: 'vms/toggle', id: 'a' });
    expect(s.selectedVmIds).toEqual(['b']);
    s = reduce(s, { type: 'vms/loaded', engineId: 'e1', list: { vms: [vm('a')], backupFolder: '/srv/backups' } });
    expect(s.selectedVmIds).toEqual([]);
    expect(reduce(s, { type: 'vms/loaded', engineId: 'e9', list: { vms: [], backupFolder: null } })).toBe(s);
    s = reduce(s, { type: 'engines', engines: engines('e2') });
    expect(s.vms).toMatchObject({ engineId: null, vms: [], backupFolder: null });
  });

  it('drops a catalog answer for an engine no longer selected', () => {
    const s = reduce(INITIAL_STATE, { type: 'engines', engines: engines('e2') });
    expect(reduce(s, { type: 'catalog/loaded', engineId: 'e1', domains: [], disks: [] })).toBe(s);
  });

  it('keeps only selected disks that still exist after a reload', () => {
    let s = reduce(INITIAL_STATE, { type: 'engines', engines: engines('e1') });
    s = reduce(s, { type: 'disks/select', ids: ['d1', 'd2', 'd1'] });
    expect(s.selectedDiskIds).toEqual(['d1', 'd2']);
    s = reduce(s, { type: 'catalog/loaded', engineId: 'e1', domains: [], disks: [disk({ id: 'd2', name: 'y' })] });
    expect(s.selectedDiskIds).toEqual(['d2']);
  });

  it('keeps the last few notices', () => {
    let s = INITIAL_STATE;
    for (let i = 0; i < 6; i++) s = reduce(s, { type: 'notice/add', notice: { tone: 'error', text: `e${i}`, translate: false } });
    expect(s.notices.map((n) => n.text)).toEqual(['e2', 'e3', 'e4', 'e5']);
    expect(new Set(s.notices.map((n) => n.id)).size).toBe(4);
  });

  it('shows the same error once, counting how often it came, as the newest', () => {
    const error = { code: 'network' as const, message: 'The engine could not be reached.', retryable: true };
    let s = INITIAL_STATE;
    s = reduce(s, { type: 'notice/add', notice: { tone: 'error', text: error.message, translate: false, error } });
    s = reduce(s, { type: 'notice/add', notice: { tone: 'info', text: 'note', translate: false } });
    s = reduce(s, { type: 'notice/add', notice: { tone: 'error', text: error.message, translate: false, error } });
    s = reduce(s, { type: 'notice/add', notice: { tone: 'error', text: error.message, translate: false, error } });
    expect(s.notices.map((n) => [n.text, n.count])).toEqual([
      ['note', 1],
      [error.message, 3],
    ]);
    // Another error is another notice; closing the counted one removes it whole.
    s = reduce(s, { type: 'notice/add', notice: { tone: 'error', text: 'Disk full.', translate: false, error: { ...error, code: 'disk-full', message: 'Disk full.' } } });
    expect(s.notices).toHaveLength(3);
    s = reduce(s, { type: 'notice/dismiss', id: s.notices[1]!.id });
    expect(s.notices.map((n) => n.text)).toEqual(['note', 'Disk full.']);
    expect(new Set(s.notices.map((n) => n.id)).size).toBe(2);
  });

  it('notifies subscribers only when the state changed', () => {
    const store = createStore(INITIAL_STATE);
    let calls = 0;
    store.subscribe(() => calls++);
    store.dispatch({ type: 'transfers', snapshot: snapshot(3, ['a']) });
    store.dispatch({ type: 'transfers', snapshot: snapshot(1, ['b']) });
    expect(calls).toBe(1);
  });
});
