/**
 * A context menu (WAI-ARIA menu pattern): opened by a right click, the Menu key or Shift+F10 on a
 * row; ↑/↓ (Home/End) move between the items that apply, Enter or Space choose one, Escape, Tab or a
 * click elsewhere close it, and the focus goes back where it was. Placed at the pointer (or under the
 * row), kept inside the window.
 */
import { Fragment, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';

/** One entry of the menu; `separator` draws a line before it. */
export interface MenuItem {
  readonly key: string;
  readonly label: string;
  readonly disabled?: boolean;
  readonly danger?: boolean;
  readonly separator?: boolean;
  readonly onSelect: () => void;
}

/** Props of the menu. */
export interface ContextMenuProps {
  readonly x: number;
  readonly y: number;
  readonly label: string;
  readonly items: readonly MenuItem[];
  /** Closed: by a choice, Escape, Tab or a click elsewhere; the opener gets the focus back. */
  readonly onClose: () => void;
}

/** The menu. */
export function ContextMenu({ x, y, label, items, onClose }: ContextMenuProps) {
  const ref = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState({ left: x, top: y });
  const enabled = items.map((it, i) => (it.disabled ? -1 : i)).filter((i) => i >= 0);
  const [active, setActive] = useState(enabled[0] ?? -1);

  // Inside the window: flipped left or up when it would stick out.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const { width, height } = el.getBoundingClientRect();
    setPos({ left: Math.max(4, Math.min(x, window.innerWidth - width - 4)), top: Math.max(4, y + height > window.innerHeight - 4 ? y - height : y) });
  }, [x, y]);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>(`[data-index="${active}"]`)?.focus();
  }, [active]);
  useEffect(() => {
    const away = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) onClose();
    };
    const blur = () => onClose();
    document.addEventListener('mousedown', away, true);
    window.addEventListener('blur', blur);
    window.addEventListener('resize', blur);
    return () => {
      document.removeEventListener('mousedown', away, true);
      window.removeEventListener('blur', blur);
      window.removeEventListener('resize', blur);
    };
  }, [onClose]);

  const choose = (item: MenuItem) => {
    if (item.disabled) return;
    onClose();
    item.onSelect();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const at = enabled.indexOf(active);
    const go = (i: number) => {
      e.preventDefault();
      if (enabled.length > 0) setActive(enabled[(i + enabled.length) % enabled.length]!);
    };
    if (e.key === 'ArrowDown') go(at + 1);
    else if (e.key === 'ArrowUp') go(at - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(enabled.length - 1);
    else if (e.key === 'Escape' || e.key === 'Tab') {
      e.preventDefault();
      e.stopPropagation();
      onClose();
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      const item = items[active];
      if (item) choose(item);
    }
  };

  return (
    <div ref={ref} role="menu" aria-label={label} className="context-menu" style={{ left: pos.left, top: pos.top }} onKeyDown={onKeyDown} data-testid="context-menu">
      {items.map((item, i) => (
        <Fragment key={item.key}>
          {item.separator && <div role="separator" className="context-menu__separator" />}
          <div
            role="menuitem"
            data-index={i}
            tabIndex={i === active ? 0 : -1}
            aria-disabled={item.disabled ? true : undefined}
            className={`context-menu__item${item.danger ? ' context-menu__item--danger' : ''}`}
            onMouseEnter={() => !item.disabled && setActive(i)}
            onClick={() => choose(item)}
          >
            {item.label}
          </div>
        </Fragment>
      ))}
    </div>
  );
}
