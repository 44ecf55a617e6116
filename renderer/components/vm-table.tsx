/**
 * The left pane's virtual machines (beside the disks): a search field, a checkbox per VM, its
 * status, its disks, the last backup found in the engine's backup folder, and "Back up…" for the
 * selection — also from a row's context menu (right click, the Menu key or Shift+F10), whose
 * "Backups…" opens the backup history of that VM; the heading's "Backups…" opens all of it.
 */
import { useState, type KeyboardEvent, type MouseEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorInfo, VmView } from '../../shared/ipc.js';
import { formatBytes, formatDateTime } from '../lib/format.js';
import { ContextMenu } from './context-menu.js';
import { PaneHead } from './pane-head.js';

/** Props of the VM table. */
export interface VmTableProps {
  /** Already filtered by the search. */
  readonly vms: readonly VmView[];
  readonly total: number;
  readonly search: string;
  readonly selectedIds: readonly string[];
  /** The folder the last backups were read from; null before one was chosen. */
  readonly backupFolder: string | null;
  readonly error: ErrorInfo | null;
  /** The error in the window's language. */
  readonly errorText: string;
  readonly locale: string;
  readonly loading: boolean;
  readonly onSearch: (text: string) => void;
  readonly onToggle: (id: string) => void;
  readonly onSelectAll: (ids: readonly string[]) => void;
  readonly onBackUp: (ids: readonly string[]) => void;
  /** Opens the Backups… sheet: of one VM (from its row's menu), or of every VM (null). */
  readonly onBackups?: (vm: { readonly vmId: string; readonly vmName: string } | null) => void;
  readonly onRefresh: () => void;
  /** Shown in the heading's place (the heading stays for screen readers): the Disks / Virtual machines switch. */
  readonly switcher?: ReactNode;
}

/** A VM's disks in words, for the row's title: each name with its size. */
function diskList(vm: VmView, locale: string): string {
  return vm.disks.map((d) => `${d.name} (${formatBytes(d.provisionedSize, locale)})`).join('\n');
}

/** The VMs section. */
export function VmTable(props: VmTableProps) {
  const { t } = useTranslation();
  const { vms, selectedIds, locale } = props;
  const selected = new Set(selectedIds);
  const allSelected = vms.length > 0 && vms.every((v) => selected.has(v.id));
  const [menu, setMenu] = useState<{ x: number; y: number; ids: readonly string[]; vm: VmView } | null>(null);
  // Back up… acts on the selection when the row is in it, else on the row alone; Backups… on the row's VM.
  const openMenu = (vm: VmView, x: number, y: number) => setMenu({ x, y, ids: selected.has(vm.id) ? selectedIds : [vm.id], vm });
  const { onBackups } = props;
  const onContextMenu = (e: MouseEvent<HTMLTableRowElement>, vm: VmView) => {
    e.preventDefault();
    openMenu(vm, e.clientX, e.clientY);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTableRowElement>, vm: VmView) => {
    if (e.key !== 'ContextMenu' && !(e.key === 'F10' && e.shiftKey)) return;
    e.preventDefault();
    const r = e.currentTarget.getBoundingClientRect();
    openMenu(vm, r.left + 24, r.bottom);
  };
  return (
    <section className="pane-section pane-section--grow" aria-labelledby="vms-heading">
      <PaneHead
        id="vms-heading"
        title={t('backups.viewVms')}
        switcher={props.switcher}
        {...(onBackups ? { onBackups: () => onBackups(null) } : {})}
        backupsTestId="vms-open-backups"
        onRefresh={props.onRefresh}
        loading={props.loading}
      />
      <input type="search" className="search" placeholder={t('backups.search')} aria-label={t('backups.search')} value={props.search} onChange={(e) => props.onSearch(e.target.value)} />
      {props.error && (
        <p className="error-text small pad" role="alert">
          {t('backups.unknown', { reason: props.errorText })}
        </p>
      )}
      <div className="table-scroll">
        <table className="dense-table vm-table" data-testid="vms">
          <thead>
            <tr>
              <th className="col-check">
                <input type="checkbox" aria-label={t('backups.selectAll')} checked={allSelected} onChange={() => props.onSelectAll(allSelected ? [] : vms.map((v) => v.id))} />
              </th>
              <th className="col-name">{t('backups.col.name')}</th>
              <th>{t('backups.col.status')}</th>
              <th className="num">{t('backups.col.disks')}</th>
              <th title={props.backupFolder ? t('backups.lastFolder', { folder: props.backupFolder }) : t('backups.lastNoFolder')}>{t('backups.col.last')}</th>
            </tr>
          </thead>
          <tbody>
            {vms.map((vm) => (
              <tr
                key={vm.id}
                className={selected.has(vm.id) ? 'row--selected' : ''}
                data-testid="vm-row"
                data-vm={vm.name}
                tabIndex={-1}
                onContextMenu={(e) => onContextMenu(e, vm)}
                onKeyDown={(e) => onKeyDown(e, vm)}
              >
                <td className="col-check">
                  <input type="checkbox" aria-label={t('backups.select', { name: vm.name })} checked={selected.has(vm.id)} onChange={() => props.onToggle(vm.id)} />
                </td>
                <td className="col-name" title={`${vm.name}\n${vm.id}`}>
                  {vm.name}
                </td>
                <td className={vm.status === 'up' ? 'tone-done' : vm.status === 'down' ? 'muted' : 'warn-text'} data-testid="vm-status">
                  {vm.status ? t(`backups.status.${vm.status}`, { defaultValue: vm.status }) : '—'}
                </td>
                <td className="num" title={diskList(vm, locale)}>
                  {t('backups.diskCount', { count: vm.disks.length })}
                </td>
                <td className="col-last" data-testid="vm-last-backup" title={vm.lastBackup?.run}>
                  {vm.lastBackup ? t('backups.lastValue', { kind: t(`backups.kind.${vm.lastBackup.kind}`), time: formatDateTime(vm.lastBackup.finishedAt, locale) }) : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {vms.length === 0 && !props.loading && !props.error && <p className="muted small pad">{props.total === 0 ? t('backups.none') : t('backups.noMatch')}</p>}
      </div>
      <div className="selection-bar">
        <span className="small">{t('disks.selected', { count: selectedIds.length })}</span>
        <button type="button" className="primary small" disabled={selectedIds.length === 0} title={t('backups.backUpHelp')} onClick={() => props.onBackUp(selectedIds)}>
          {t('backups.backUp')}
        </button>
      </div>
      {menu && (
        <ContextMenu
          x={menu.x}
          y={menu.y}
          label={t('backups.menuLabel')}
          items={[
            { key: 'backup', label: t('backups.backUp'), onSelect: () => props.onBackUp(menu.ids) },
            ...(onBackups ? [{ key: 'backups', label: t('backups.button'), onSelect: () => onBackups({ vmId: menu.vm.id, vmName: menu.vm.name }) }] : []),
          ]}
          onClose={() => setMenu(null)}
        />
      )}
    </section>
  );
}
