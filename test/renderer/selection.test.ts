/** The transfer lists' selection (click, Ctrl/Cmd-click, Shift-click, Shift+arrows, select all) and what applies to it. */
import { describe, expect, it } from 'vitest';
import { clickSelect, keySelect, NO_SELECTION, selectAll, selectedIn } from '../../renderer/lib/selection.js';
import { failedIds, selectionActions } from '../../renderer/lib/selection-actions.js';
import { transfer } from './fixtures.js';

const order = ['a', 'b', 'c', 'd', 'e'];
const plain = { range: false, toggle: false };
const ctrl = { range: false, toggle: true };
const shift = { range: true, toggle: false };

describe('selection', () => {
  it('a click selects one; Ctrl-click adds and removes; Shift-click selects the range from the anchor', () => {
    let s = clickSelect(order, NO_SELECTION, 'b', plain);
    expect(s).toEqual({ ids: ['b'], anchor: 'b' });
    s = clickSelect(order, s, 'd', ctrl);
    expect(s.ids).toEqual(['b', 'd']);
    s = clickSelect(order, s, 'b', ctrl);
    expect(s).toEqual({ ids: ['d'], anchor: 'b' });
    // The range runs from the anchor (the last plain or Ctrl click), either way.
    s = clickSelect(order, { ids: ['d'], anchor: 'd' }, 'a', shift);
    expect(s).toEqual({ ids: ['a', 'b', 'c', 'd'], anchor: 'd' });
    s = clickSelect(order, s, 'e', shift);
    expect(s.ids).toEqual(['d', 'e']);
    // Ctrl+Shift adds the range to what was selected.
    expect(clickSelect(order, { ids: ['a'], anchor: 'c' }, 'e', { range: true, toggle: true }).ids).toEqual(['a', 'c', 'd', 'e']);
    // An anchor no longer in the list: the click's row alone.
    expect(clickSelect(order, { ids: [], anchor: 'gone' }, 'c', shift).ids).toEqual(['c']);
  });

  it('Shift+arrows extend from the anchor to the focused row; arrows alone select the focused row', () => {
    let s = keySelect(order, NO_SELECTION, 'b', 'c', true);
    expect(s).toEqual({ ids: ['b', 'c'], anchor: 'b' });
    s = keySelect(order, s, 'c', 'd', true);
    expect(s.ids).toEqual(['b', 'c', 'd']);
    s = keySelect(order, s, 'd', 'a', true);
    expect(s.ids).toEqual(['a', 'b']);
    expect(keySelect(order, s, 'a', 'e', false)).toEqual({ ids: ['e'], anchor: 'e' });
  });

  it('selects all, and keeps the selected ones in the list order; stays quick with 10,000 rows', () => {
    expect(selectAll(order, NO_SELECTION)).toEqual({ ids: order, anchor: 'a' });
    const items = order.map((id) => ({ id }));
    expect(selectedIn(items, { ids: ['d', 'a', 'gone'], anchor: null }).map((t) => t.id)).toEqual(['a', 'd']);
    const many = Array.from({ length: 10_000 }, (_, i) => `t${i}`);
    // Timed in this process's CPU time, not the wall clock's: a machine busy with other work stretches
    // the latter, not the former (a list walked once per row would take seconds of either).
    const started = process.cpuUsage();
    let s = clickSelect(many, NO_SELECTION, 't10', plain);
    s = clickSelect(many, s, 't9990', shift);
    expect(selectedIn(many.map((id) => ({ id })), s)).toHaveLength(9981);
    const used = process.cpuUsage(started);
    expect((used.user + used.system) / 1000).toBeLessThan(250);
  });
});

describe('selectionActions', () => {
  it('lists, per action, the selected transfers main says it applies to', () => {
    const allowed = (over: Partial<ReturnType<typeof transfer>['actions']>) => ({ ...transfer({ id: 'x' }).actions, cancel: false, move: false, ...over });
    const waiting = transfer({ id: 'w', state: 'waiting', actions: allowed({ pause: true, cancel: true, startNow: true, move: true }) });
    const paused = transfer({ id: 'p', state: 'paused', actions: allowed({ resume: true, cancel: true, startNow: true, move: true }) });
    const failed = transfer({ id: 'f', state: 'failed', actions: allowed({ retry: true, remove: true, reveal: true }) });
    const a = selectionActions([waiting, paused, failed]);
    expect(a).toMatchObject({ pause: ['w'], resume: ['p'], cancel: ['w', 'p'], retry: ['f'], remove: ['f'], startNow: ['w', 'p'], move: ['w', 'p'], reveal: null, finished: ['f'] });
    expect(selectionActions([failed]).reveal).toBe('f');
    expect(failedIds([waiting, paused, failed])).toEqual(['f']);
  });
});
