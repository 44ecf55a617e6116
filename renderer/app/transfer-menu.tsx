/**
 * What a transfer list does with its selection: the selection itself (in the store), the context
 * menu of the selected transfers, and Delete (asks before cancelling; finished ones are removed
 * from the list). The queue and the history panes use it alike.
 */
import { useCallback, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TransferView } from '../../shared/ipc.js';
import { ContextMenu, type MenuItem } from '../components/context-menu.js';
import { selectedIn, type Selection } from '../lib/selection.js';
import { selectionActions } from '../lib/selection-actions.js';
import { useAppState, useController } from './context.js';

/** The menu's place and the transfers it is for. */
interface OpenMenu {
  readonly x: number;
  readonly y: number;
  readonly ids: readonly string[];
}

/** Selection, menu and Delete of one list (`transfers` in its order). */
export function useTransferMenu(transfers: readonly TransferView[]) {
  const { t } = useTranslation();
  const c = useController();
  const selection = useAppState((s) => s.transferSelection);
  const [menu, setMenu] = useState<OpenMenu | null>(null);
  /** Where the focus was when the menu opened: it goes back there. */
  const opener = useRef<HTMLElement | null>(null);
  const onSelect = useCallback((sel: Selection) => c.selectTransfers(sel), [c]);
  const onMenu = useCallback((x: number, y: number, ids: readonly string[]) => {
    opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    setMenu({ x, y, ids });
  }, []);
  const close = useCallback(() => {
    setMenu(null);
    opener.current?.focus();
  }, []);
  const onDelete = useCallback(
    (ids: readonly string[]) => {
      const wanted = new Set(ids);
      const a = selectionActions(transfers.filter((x) => wanted.has(x.id)));
      if (a.cancel.length > 0) c.confirmCancel(a.cancel);
      else if (a.remove.length > 0) void c.act('remove', a.remove);
    },
    [c, transfers],
  );
  const selected = useMemo(() => selectedIn(transfers, selection), [transfers, selection]);

  let element = null;
  if (menu) {
    const wanted = new Set(menu.ids);
    const targets = transfers.filter((x) => wanted.has(x.id));
    const a = selectionActions(targets);
    const only = targets.length === 1 ? targets[0] : undefined;
    const item = (key: string, ids: readonly string[], onSelectIds: (ids: readonly string[]) => void, extra: Partial<MenuItem> = {}): MenuItem => ({
      key,
      label: t(`menu.${key}`, { count: ids.length }),
      disabled: ids.length === 0,
      onSelect: () => onSelectIds(ids),
      ...extra,
    });
    const items: MenuItem[] = [
      item('pause', a.pause, (ids) => void c.act('pause', ids)),
      item('resume', a.resume, (ids) => void c.act('resume', ids)),
      item('startNow', a.startNow, (ids) => void c.act('startNow', ids)),
      item('retry', a.retry, (ids) => void c.act('retry', ids)),
      item('top', a.move, (ids) => void c.act('top', ids), { separator: true }),
      item('bottom', a.move, (ids) => void c.act('bottom', ids)),
      item('details', only ? [only.id] : [], ([id]) => id && c.toggleTransfer(id), { separator: true }),
      item('reveal', a.reveal ? [a.reveal] : [], ([id]) => id && void c.reveal(id)),
      item('report', a.finished, (ids) => void c.saveReport('csv', ids)),
      item('remove', a.remove, (ids) => void c.act('remove', ids), { separator: true }),
      item('cancel', a.cancel, (ids) => c.confirmCancel(ids), { danger: true }),
    ].filter((i) => !i.disabled || ['pause', 'resume', 'cancel'].includes(i.key));
    element = <ContextMenu x={menu.x} y={menu.y} label={t('menu.label', { count: targets.length })} items={items} onClose={close} />;
  }
  // What a TransferList takes from this hook, to spread into it.
  const listProps = { selection, onSelect, onMenu, onDelete };
  return { selection, selected, listProps, menu: element };
}
