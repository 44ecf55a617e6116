/**
 * The left pane's disks: a search field, a table sortable by each column, a checkbox per disk and
 * "Download to…" for the selection. Rendering is capped; the search narrows larger catalogs.
 */
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { DiskView } from '../../shared/ipc.js';
import { formatBytes } from '../lib/format.js';
import { diskVmText, type DiskSort, type DiskSortKey } from '../state/selectors.js';
import { PaneHead } from './pane-head.js';

/** Rows rendered at most (a catalog can hold thousands of disks). */
export const DISK_ROWS_SHOWN = 300;

/** Props of the disk table. */
export interface DiskTableProps {
  /** Already filtered and sorted. */
  readonly disks: readonly DiskView[];
  readonly total: number;
  readonly search: string;
  readonly sort: DiskSort;
  readonly selectedIds: readonly string[];
  readonly locale: string;
  readonly loading: boolean;
  readonly onSearch: (text: string) => void;
  readonly onSort: (key: DiskSortKey) => void;
  readonly onToggle: (id: string) => void;
  readonly onSelectAll: (ids: readonly string[]) => void;
  readonly onDownload: () => void;
  readonly onRefresh: () => void;
  /** Opens the Backups… sheet (the backup history, and restores from it). */
  readonly onBackups?: () => void;
  /** Shown in the heading's place (the heading stays for screen readers): the Disks / Virtual machines switch. */
  readonly switcher?: ReactNode;
}

const COLUMNS: readonly { key: DiskSortKey; className: string }[] = [
  { key: 'name', className: 'col-name' },
  { key: 'vm', className: 'col-vm' },
  { key: 'provisionedSize', className: 'num' },
  { key: 'actualSize', className: 'num' },
  { key: 'format', className: '' },
  { key: 'status', className: '' },
];

/** The disks section. */
export function DiskTable(props: DiskTableProps) {
  const { t } = useTranslation();
  const { disks, sort, selectedIds, locale } = props;
  const selected = new Set(selectedIds);
  const shown = disks.slice(0, DISK_ROWS_SHOWN);
  const allShownSelected = shown.length > 0 && shown.every((d) => !d.downloadable || selected.has(d.id));
  return (
    <section className="pane-section pane-section--grow" aria-labelledby="disks-heading">
      <PaneHead
        id="disks-heading"
        title={t('sidebar.disks')}
        switcher={props.switcher}
        {...(props.onBackups ? { onBackups: props.onBackups } : {})}
        backupsTestId="open-backups"
        onRefresh={props.onRefresh}
        loading={props.loading}
      />
      <input
        type="search"
        className="search"
        placeholder={t('disks.search')}
        aria-label={t('disks.search')}
        value={props.search}
        onChange={(e) => props.onSearch(e.target.value)}
        data-shortcut="search"
      />
      <div className="table-scroll">
        <table className="dense-table disk-table" data-testid="disks">
          <thead>
            <tr>
              <th className="col-check">
                <input
                  type="checkbox"
                  aria-label={t('disks.selectAll')}
                  checked={allShownSelected}
                  onChange={() => props.onSelectAll(allShownSelected ? [] : shown.filter((d) => d.downloadable).map((d) => d.id))}
                />
              </th>
              {COLUMNS.map((c) => (
                <th key={c.key} className={c.className} aria-sort={sort.key === c.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
                  <button type="button" className="th-button" onClick={() => props.onSort(c.key)}>
                    {t(`disks.col.${c.key}`)}
                    {sort.key === c.key && <span aria-hidden="true">{sort.descending ? ' ▾' : ' ▴'}</span>}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((d) => (
              <tr key={d.id} className={selected.has(d.id) ? 'row--selected' : d.downloadable ? '' : 'row--muted'}>
                <td className="col-check">
                  <input
                    type="checkbox"
                    aria-label={t('disks.select', { name: d.name })}
                    checked={selected.has(d.id)}
                    disabled={!d.downloadable}
                    onChange={() => props.onToggle(d.id)}
                  />
                </td>
                <td className="col-name" title={`${d.name}\n${d.id}\n${d.storageDomainNames.join(', ')}`}>
                  {d.name}
                </td>
                <td className="col-vm" title={d.vmNames === null ? t('disks.vmUnknown') : undefined}>
                  {diskVmText(d) ?? (d.vmNames === null ? '?' : '—')}
                </td>
                <td className="num">{formatBytes(d.provisionedSize, locale)}</td>
                <td className="num">{formatBytes(d.actualSize, locale)}</td>
                <td>{d.format}</td>
                <td className={d.status === 'ok' ? '' : 'warn-text'}>{d.status ? t(`disks.status.${d.status}`) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {disks.length === 0 && !props.loading && <p className="muted small pad">{props.total === 0 ? t('disks.none') : t('disks.noMatch')}</p>}
        {disks.length > shown.length && <p className="muted small pad">{t('disks.more', { count: disks.length - shown.length })}</p>}
      </div>
      <div className="selection-bar">
        <span className="small">{t('disks.selected', { count: selectedIds.length })}</span>
        <button type="button" className="primary small" disabled={selectedIds.length === 0} onClick={props.onDownload}>
          {t('disks.downloadTo')}
        </button>
      </div>
    </section>
  );
}
