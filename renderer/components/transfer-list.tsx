/**
 * A virtualized list of transfer rows (fluid with thousands of jobs): only the rows in view are in
 * the DOM, each measured so expanded rows take their height. Arrow keys move between rows,
 * Alt+Arrow reorders, Enter toggles details, Space pauses or resumes, Delete cancels or removes.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, type KeyboardEvent } from 'react';
import type { ScheduleWindow, TransferView } from '../../shared/ipc.js';
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
}

/** The list. */
export function TransferList({ transfers, expandedIds, window: schedule, locale, label, testId, engineAwaySince, ...handlers }: TransferListProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const expanded = new Set(expandedIds);
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
    requestAnimationFrame(() => {
      const el = scrollRef.current?.querySelector<HTMLElement>(`[data-index="${clamped}"] [role="listitem"]`);
      el?.focus();
    });
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

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>, t: TransferView) => {
    if (e.target !== e.currentTarget) return;
    const index = transfers.findIndex((x) => x.id === t.id);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const down = e.key === 'ArrowDown';
      if (e.altKey && t.actions.move) {
        follow.current = { id: t.id, before: transfers };
        handlers.onMove(t, down ? 'down' : 'up');
      } else focusRow(index + (down ? 1 : -1));
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      focusRow(e.key === 'Home' ? 0 : transfers.length - 1);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      handlers.onToggle(t.id);
    } else if (e.key === ' ') {
      e.preventDefault();
      if (t.actions.pause) handlers.onAction(t, 'pause');
      else if (t.actions.resume) handlers.onAction(t, 'resume');
    } else if (e.key === 'Delete') {
      e.preventDefault();
      if (t.actions.cancel) handlers.onAction(t, 'cancel');
      else if (t.actions.remove) handlers.onAction(t, 'remove');
    }
  };

  return (
    <div ref={scrollRef} className="transfer-scroll" data-testid={testId}>
      <div role="list" aria-label={label} className="transfer-list" style={{ height: `${virtualizer.getTotalSize()}px` }}>
        {virtualizer.getVirtualItems().map((item) => {
          const t = transfers[item.index];
          if (!t) return null;
          return (
            <div key={item.key} data-index={item.index} ref={virtualizer.measureElement} className="transfer-slot" style={{ transform: `translateY(${item.start}px)` }}>
              <TransferRow transfer={t} expanded={expanded.has(t.id)} window={schedule} locale={locale} engineAwaySince={engineAwaySince?.get(t.engineId) ?? null} onKeyDown={onKeyDown} {...handlers} />
            </div>
          );
        })}
      </div>
    </div>
  );
}
