/**
 * The selection of a transfer list, the way file managers and FileZilla's queue do it: a click
 * selects one, Ctrl/Cmd-click adds or removes one, Shift-click selects the range from the anchor
 * (the last plain or Ctrl click), Shift+arrows extend the range from the anchor to the focused row,
 * Ctrl/Cmd+A selects all. Pure (ids in, ids out) and linear in the list's length, so a list of
 * thousands stays quick; tested without React.
 */

/** What is selected, and where a Shift range starts. */
export interface Selection {
  readonly ids: readonly string[];
  readonly anchor: string | null;
}

/** Nothing selected. */
export const NO_SELECTION: Selection = { ids: [], anchor: null };

/** The modifier keys of a click. */
export interface ClickMods {
  /** Shift: the range from the anchor. */
  readonly range: boolean;
  /** Ctrl (Cmd on macOS): add or remove one. */
  readonly toggle: boolean;
}

/** The ids from `a` to `b` in the list's order (both included); just `b` when `a` is not in it. */
function rangeOf(order: readonly string[], a: string | null, b: string): string[] {
  const to = order.indexOf(b);
  const from = a === null ? -1 : order.indexOf(a);
  if (to < 0) return [];
  if (from < 0) return [b];
  return order.slice(Math.min(from, to), Math.max(from, to) + 1);
}

/** The selection after a click on `id` with these modifiers. */
export function clickSelect(order: readonly string[], sel: Selection, id: string, mods: ClickMods): Selection {
  if (mods.range) {
    const range = rangeOf(order, sel.anchor, id);
    if (!mods.toggle) return { ids: range, anchor: sel.anchor !== null && order.includes(sel.anchor) ? sel.anchor : id };
    const ids = new Set(sel.ids);
    for (const r of range) ids.add(r);
    return { ids: order.filter((x) => ids.has(x)), anchor: sel.anchor ?? id };
  }
  if (mods.toggle) return sel.ids.includes(id) ? { ids: sel.ids.filter((x) => x !== id), anchor: id } : { ids: [...sel.ids, id], anchor: id };
  return { ids: [id], anchor: id };
}

/** The selection after the keyboard moved the focus to `to`: extended from the anchor with Shift, else just `to`. */
export function keySelect(order: readonly string[], sel: Selection, from: string, to: string, extend: boolean): Selection {
  if (!extend) return { ids: [to], anchor: to };
  const anchor = sel.anchor !== null && order.includes(sel.anchor) ? sel.anchor : from;
  return { ids: rangeOf(order, anchor, to), anchor };
}

/** Everything in the list. */
export function selectAll(order: readonly string[], sel: Selection): Selection {
  return { ids: [...order], anchor: sel.anchor ?? order[0] ?? null };
}

/** The selected ids that are in the list, in the list's order. */
export function selectedIn<T extends { readonly id: string }>(items: readonly T[], sel: Selection): T[] {
  if (sel.ids.length === 0) return [];
  const ids = new Set(sel.ids);
  return items.filter((t) => ids.has(t.id));
}
