/**
 * Keeps a floating element (a field's inline message) inside the window: when it would stick out
 * on the right, it moves left by that much (never past the window's left edge). The message hangs
 * under its field from the field's left edge; a field near the right edge, or a longer sentence in
 * another language, pushed it out of a 1024 px window.
 */
import { useLayoutEffect, type RefObject } from 'react';

/** Space kept between the element and the window's edge, in CSS pixels. */
const MARGIN = 8;

/** Shifts `ref`'s element left while `active`, so that it fits the window's width. */
export function useKeepInView(ref: RefObject<HTMLElement | null>, active: boolean): void {
  useLayoutEffect(() => {
    const el = ref.current;
    if (!active || !el) return;
    const place = () => {
      el.style.transform = '';
      const box = el.getBoundingClientRect();
      const over = box.right - (document.documentElement.clientWidth - MARGIN);
      const shift = Math.min(Math.max(0, over), Math.max(0, box.left - MARGIN));
      if (shift > 0) el.style.transform = `translateX(${-shift}px)`;
    };
    place();
    window.addEventListener('resize', place);
    return () => window.removeEventListener('resize', place);
  });
}
