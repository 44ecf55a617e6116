/**
 * A virtualized list of transfer rows (fluid with thousands of jobs): only the rows in view are in
 * the DOM, each measured so expanded rows take their height. A multi-select listbox: a click selects
 * a row, Ctrl/Cmd-click adds one, Shift-click a range; arrow keys (Home, End) move the selection,
 * with Shift they extend it, with Ctrl only the focus (Ctrl/Cmd+Space then adds or removes the
 * focused row); Ctrl/Cmd+A selects all, Escape none.
 * Alt+Arrow reorders, Enter toggles details, Space pauses or resumes, Delete asks to cancel the
 * selection (or removes finished ones), a right click, the Menu key or Shift+F10 opens the menu.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, type KeyboardEvent, type MouseEvent } from 'react';
import type { ScheduleWindow, TransferView } from '../../shared/ipc.js';
import { clickSelect, keySelect, selectAll, NO_SELECTION, type Selection } from '../lib/selection.js';
import { TransferRow, type TransferRowHandlers } from './transfer-row.js';

/** Props of the list. */
export interface TransferListProps extends TransferRowHandlers {
  readonly transfers: readonly TransferView[];
  readonly expandedIds: readonly string[];
  readonly window: ScheduleWindow | null;
  readonly locale: string;
  readonly label: string;
  readonly testId: string;
  /** Since when each engine that stopped answering has been away (epoch ms), by engine id. */
  readonly engineAwaySince?: ReadonlyMap<string, number>;
  readonly selection: Selection;
  readonly onSelect: (selection: Selection) => void;
  /** Open the context menu at (x, y) for the selection (the row under it is selected first when it was not). */
  readonly onMenu: (x: number, y: number, ids: readonly string[]) => void;
  /** Delete on the selection: the pane asks before cancelling, or removes finished ones. */
  readonly onDelete: (ids: readonly string[]) => void;
}

/** The list. */
export function TransferList({ transfers, expandedIds, window: schedule, locale, label, testId, engineAwaySince, selection, onSelect, onMenu, onDelete, ...handlers }: TransferListProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const expanded = new Set(expandedIds);
  const order = useMemo(() => transfers.map((t) => t.id), [transfers]);
  const selected = useMemo(() => new Set(selection.ids), [selection.ids]);
  /** The ids an action on row `t` covers: the selection when `t` is in it, else `t` alone (then selected). */
  const targetsOf = (t: TransferView): readonly string[] => {
    if (selected.has(t.id)) return order.filter((id) => selected.has(id));
    onSelect({ ids: [t.id], anchor: t.id });
    return [t.id];
  };
  const virtualizer = useVirtualizer({
    count: transfers.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => 58,
    overscan: 6,
    getItemKey: (i) => transfers[i]?.id ?? i,
  });

  /** A moved row keeps the focus: it is focused again where the next snapshot puts it. */
  const follow = useRef<{ readonly id: string; readonly before: readonly TransferView[] } | null>(null);

  const focusRow = (index: number) => {
    const clamped = Math.max(0, Math.min(transfers.length - 1, index));
    virtualizer.scrollToIndex(clamped, { align: 'auto' });
    // A row already drawn takes the focus at once, so a key pressed right after (a held arrow key)
    // starts from it; one scrolled into view is drawn on the next frame.
    const find = () => scrollRef.current?.querySelector<HTMLElement>(`[data-index="${clamped}"] [role="option"]`);
    const el = find();
    if (el) el.focus();
    else requestAnimationFrame(() => find()?.focus());
  };

  useEffect(() => {
    const f = follow.current;
    if (f === null || f.before === transfers) return; // wait for the next snapshot
    follow.current = null;
    const index = transfers.findIndex((x) => x.id === f.id);
    if (index < 0) return;
    const el = scrollRef.current?.querySelector<HTMLElement>(`[data-transfer-id="${f.id}"]`);
    if (el && document.activeElement !== el) el.focus();
    if (!el) focusRow(index);
  }, [transfers]);

  /** Focus moves to row `index`: the selection follows (extended with Shift), unless Ctrl/Cmd holds it. */
  const moveTo = (e: KeyboardEvent<HTMLDivElement>, t: TransferView, index: number) => {
    const clamped = Math.max(0, Math.min(transfers.length - 1, index));
    const to = transfers[clamped];
    if (to && !(e.ctrlKey || e.metaKey)) onSelect(keySelect(order, selection, t.id, to.id, e.shiftKey));
    focusRow(clamped);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>, t: TransferView) => {
    if (e.target !== e.currentTarget) return;
    const index = transfers.findIndex((x) => x.id === t.id);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const down = e.key === 'ArrowDown';
      if (e.altKey && t.actions.move) {
        follow.current = { id: t.id, before: transfers };
        handlers.onMove(t, down ? 'down' : 'up');
      } else if (!e.altKey) moveTo(e, t, index + (down ? 1 : -1));
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      moveTo(e, t, e.key === 'Home' ? 0 : transfers.length - 1);
    } else if ((e.key === 'a' || e.key === 'A') && (e.ctrlKey || e.metaKey) && !e.altKey) {
      e.preventDefault();
      onSelect(selectAll(order, selection));
    } else if (e.key === 'Escape' && selection.ids.length > 0) {
      e.preventDefault();
      onSelect(NO_SELECTION);
    } else if (e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) {
      e.preventDefault();
      const box = e.currentTarget.getBoundingClientRect();
      onMenu(box.left + 24, box.top + Math.min(box.height, 40), targetsOf(t));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      handlers.onToggle(t.id);
    } else if (e.key === ' ' && (e.ctrlKey || e.metaKey)) {
      // With Ctrl/Cmd+arrows the focus moved alone; Ctrl/Cmd+Space adds or removes the focused row.
      e.preventDefault();
      onSelect(clickSelect(order, selection, t.id, { range: e.shiftKey, toggle: true }));
    } else if (e.key === ' ') {
      e.preventDefault();
      if (t.actions.pause) handlers.onAction(t, 'pause');
      else if (t.actions.resume) handlers.onAction(t, 'resume');
    } else if (e.key === 'Delete') {
      e.preventDefault();
      onDelete(targetsOf(t));
    }
  };

  /** A click on a row (not on its buttons) selects; a right click opens the menu on the selection. */
  const onRowClick = (e: MouseEvent<HTMLDivElement>, t: TransferView) => {
    if ((e.target as HTMLElement).closest('button')) return;
    onSelect(clickSelect(order, selection, t.id, { range: e.shiftKey, toggle: e.ctrlKey || e.metaKey }));
  };
  const onContextMenu = (e: MouseEvent<HTMLDivElement>, t: TransferView) => {
    e.preventDefault();
    e.currentTarget.focus();
    onMenu(e.clientX, e.clientY, targetsOf(t));
  };

  return (
    <div ref={scrollRef} className="transfer-scroll" data-testid={testId}>
      <div role="listbox" aria-multiselectable="true" aria-label={label} className="transfer-list" style={{ height: `${virtualizer.getTotalSize()}px` }}>
        {virtualizer.getVirtualItems().map((item) => {
          const t = transfers[item.index];
          if (!t) return null;
          return (
            <div key={item.key} data-index={item.index} ref={virtualizer.measureElement} className="transfer-slot" style={{ transform: `translateY(${item.start}px)` }}>
              <TransferRow
                transfer={t}
                expanded={expanded.has(t.id)}
                selected={selected.has(t.id)}
                window={schedule}
                locale={locale}
                engineAwaySince={engineAwaySince?.get(t.engineId) ?? null}
                onKeyDown={onKeyDown}
                onClick={onRowClick}
                onContextMenu={onContextMenu}
                {...handlers}
              />
            </div>
          );
        })}
      </div>
    </div>
  );
}
