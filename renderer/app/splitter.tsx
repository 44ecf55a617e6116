/**
 * The split between the left pane and the queue: dragged with the mouse (or a pen, or a finger),
 * moved with the arrow keys (Shift for larger steps, Home and End for the bounds), and remembered
 * in the settings (`sidebarWidth`) once the drag or the key press ends. A window separator
 * (WAI-ARIA "window splitter") with its value in CSS pixels.
 */
import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { SIDEBAR_WIDTH } from '../../shared/window-layout.js';

/** The queue keeps at least this much of the window (its figures stay whole at 1024 px). */
export const QUEUE_MIN_WIDTH = 620;

/** The widest the left pane may be in a window `windowWidth` wide. */
export function maxSidebarWidth(windowWidth: number): number {
  return Math.max(SIDEBAR_WIDTH.min, Math.min(SIDEBAR_WIDTH.max, windowWidth - QUEUE_MIN_WIDTH));
}

/** A width kept within the bounds for this window. */
export function clampSidebarWidth(width: number, windowWidth: number): number {
  return Math.round(Math.min(maxSidebarWidth(windowWidth), Math.max(SIDEBAR_WIDTH.min, width)));
}

/** Props of the splitter. */
export interface SplitterProps {
  /** The remembered width (settings). */
  readonly width: number;
  /** The width shown while it moves (every pointer move and key press). */
  readonly onMove: (width: number) => void;
  /** The width to remember (the end of a drag, a key press). */
  readonly onCommit: (width: number) => void;
}

/** The window's width, followed as it is resized. */
export function useWindowWidth(): number {
  const [width, setWidth] = useState(() => window.innerWidth);
  useEffect(() => {
    const onResize = () => setWidth(window.innerWidth);
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);
  return width;
}

/** The separator element. */
export function Splitter({ width, onMove, onCommit }: SplitterProps) {
  const { t } = useTranslation();
  const windowWidth = useWindowWidth();
  const shown = clampSidebarWidth(width, windowWidth);
  const drag = useRef<{ readonly x: number; readonly from: number; last: number } | null>(null);

  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { x: e.clientX, from: shown, last: shown };
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d) return;
    d.last = clampSidebarWidth(d.from + e.clientX - d.x, windowWidth);
    onMove(d.last);
  };
  const onPointerEnd = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d) return;
    drag.current = null;
    if (e.currentTarget.hasPointerCapture(e.pointerId)) e.currentTarget.releasePointerCapture(e.pointerId);
    if (d.last !== d.from) onCommit(d.last);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const step = e.shiftKey ? 64 : 16;
    const next =
      e.key === 'ArrowLeft' ? shown - step : e.key === 'ArrowRight' ? shown + step : e.key === 'Home' ? SIDEBAR_WIDTH.min : e.key === 'End' ? maxSidebarWidth(windowWidth) : null;
    if (next === null) return;
    e.preventDefault();
    const w = clampSidebarWidth(next, windowWidth);
    onMove(w);
    onCommit(w);
  };

  return (
    <div
      className="splitter"
      role="separator"
      aria-orientation="vertical"
      aria-label={t('layout.splitter')}
      aria-controls="sidebar"
      aria-valuenow={shown}
      aria-valuemin={SIDEBAR_WIDTH.min}
      aria-valuemax={maxSidebarWidth(windowWidth)}
      title={t('layout.splitterHelp')}
      tabIndex={0}
      data-testid="splitter"
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerEnd}
      onPointerCancel={onPointerEnd}
      onKeyDown={onKeyDown}
    />
  );
}
