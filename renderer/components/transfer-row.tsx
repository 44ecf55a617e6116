/**
 * One transfer: direction, name → target, progress bar, percent, rate, time left; under it the
 * phase in words (with the reason and what to do for a failure) and the actions main allows.
 * Expands to its details (its button, a double click, Enter). A click selects it, a right click opens
 * the menu; the keys are the list's (Alt+↑/↓ reorders, Shift+arrows extend the selection…).
 */
import type { KeyboardEvent, MouseEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { ScheduleWindow, TransferView } from '../../shared/ipc.js';
import { formatBytes, formatDateTime, formatDuration, formatPercent, formatRate, formatTime, fileNameOf } from '../lib/format.js';
import { rowFigures } from '../lib/progress-figures.js';
import { errorReason } from '../lib/error-text.js';
import { errorHint, phaseText, rowActions, transferTitle, type RowAction } from '../lib/transfer-text.js';
import { lockedDisk } from '../lib/engine-transfer-text.js';
import { Icon } from './icon.js';
import { ProgressBar } from './progress-bar.js';
import { TransferDetails } from './transfer-details.js';

/** What a row can ask for. */
export interface TransferRowHandlers {
  readonly onAction: (t: TransferView, action: RowAction) => void;
  readonly onMove: (t: TransferView, to: 'top' | 'up' | 'down' | 'bottom') => void;
  readonly onToggle: (id: string) => void;
  /** "See transfers on this disk…": the engine's transfers that may hold the disk a failure found locked. */
  readonly onEngineTransfers?: (t: TransferView) => void;
}

/** Props of a row. */
export interface TransferRowProps extends TransferRowHandlers {
  readonly transfer: TransferView;
  readonly expanded: boolean;
  /** In the list's selection. */
  readonly selected: boolean;
  readonly window: ScheduleWindow | null;
  readonly locale: string;
  /** Since when this transfer's engine has not answered (epoch ms); null while it answers. */
  readonly engineAwaySince?: number | null;
  readonly onKeyDown: (e: KeyboardEvent<HTMLDivElement>, t: TransferView) => void;
  readonly onClick: (e: MouseEvent<HTMLDivElement>, t: TransferView) => void;
  readonly onContextMenu: (e: MouseEvent<HTMLDivElement>, t: TransferView) => void;
}

/** States in which the run waits on the engine's answers (data moving to imageio does not). */
const ENGINE_BOUND = new Set(['preparing', 'initializing', 'verifying', 'finalizing', 'retrying']);

/** A transfer row. */
export function TransferRow({ transfer: tr, expanded, selected, window, locale, engineAwaySince = null, onAction, onMove, onToggle, onEngineTransfers, onKeyDown, onClick, onContextMenu }: TransferRowProps) {
  const { t, i18n } = useTranslation();
  const away = engineAwaySince !== null && (ENGINE_BOUND.has(tr.state) || tr.state === 'transferring');
  const phase = away && ENGINE_BOUND.has(tr.state) ? { key: 'phase.engineAway', params: { since: formatTime(engineAwaySince, locale) }, tone: 'pending' as const } : phaseText(tr, window);
  const hint = tr.state === 'failed' || tr.state === 'retrying' ? errorHint(tr.error) : null;
  const figures = rowFigures(tr);
  // A failure's reason in the window's language (the engine's own words kept as the engine's).
  const phaseParams = phase.params && 'reason' in phase.params ? { ...phase.params, reason: errorReason(tr.error, t, i18n.language) } : phase.params;
  // A download's target is its file's name; the whole path is in the title and the details.
  const target = tr.direction === 'upload' ? (tr.storageDomainName ?? '') : fileNameOf(tr.localPath);
  const arrow = tr.direction === 'upload' ? '↑' : '↓';
  // A backup is one row for the VM's disks: "Backup of VM web-01 (incremental, 3 disks)"; a restore says what it restores.
  const titled = transferTitle(tr, (ms) => formatDateTime(ms, locale));
  const name = tr.backup ? t('backups.rowName', { vm: tr.backup.vmName, kind: t(`backups.kind.${tr.backup.kind}`), count: tr.backup.disks.length }) : titled ? t(titled.key, titled.params) : tr.name;
  const details: string[] = [];
  if (tr.state === 'transferring' && tr.progress.connections > 0) details.push(t('row.connections', { count: tr.progress.connections }));
  if (tr.state === 'transferring' && tr.progress.viaProxy !== null) details.push(tr.progress.viaProxy ? t('row.viaProxy') : t('row.direct'));
  if (away && tr.state === 'transferring') details.push(t('row.engineAway', { since: formatTime(engineAwaySince, locale) }));
  if (figures.holes !== null && figures.holes > 0 && figures.dataTotal !== null && tr.state !== 'completed')
    details.push(t('row.dataAndHoles', { data: formatBytes(figures.dataTotal, locale), holes: formatBytes(figures.holes, locale) }));
  if (tr.attempts > 1) details.push(t('row.attempt', { count: tr.attempts }));
  return (
    <div
      className={`transfer transfer--${phase.tone}${expanded ? ' transfer--expanded' : ''}${selected ? ' transfer--selected' : ''}`}
      role="option"
      tabIndex={0}
      aria-selected={selected}
      aria-expanded={expanded}
      aria-label={t('row.label', { direction: t(`row.${tr.direction}`), name, phase: t(phase.key, phaseParams) })}
      data-transfer-id={tr.id}
      data-state={tr.state}
      data-engine-away={away ? 'true' : undefined}
      data-testid="transfer-row"
      onKeyDown={(e) => onKeyDown(e, tr)}
      onClick={(e) => onClick(e, tr)}
      onDoubleClick={(e) => !(e.target as HTMLElement).closest('button') && onToggle(tr.id)}
      onContextMenu={(e) => onContextMenu(e, tr)}
    >
      <div className="transfer__line">
        <span className={`transfer__dir transfer__dir--${tr.direction}`} aria-hidden="true">
          {arrow}
        </span>
        <span className="transfer__name" title={`${name} → ${tr.direction === 'upload' ? target : tr.localPath}`}>
          {name}
        </span>
        <ProgressBar fraction={figures.fraction} tone={phase.tone} busy={figures.tail} label={t('row.progress', { name })} />
        <span className="transfer__num transfer__pct">{formatPercent(figures.fraction, locale)}</span>
        <span className="transfer__num transfer__size">{formatBytes(tr.progress.bytesTotal, locale)}</span>
        <span className="transfer__num transfer__rate" data-testid="transfer-rate" data-rate={figures.rate ?? undefined}>
          {figures.moving ? formatRate(figures.rate, locale) : ''}
        </span>
        <span className="transfer__num transfer__eta">{figures.etaSeconds !== null ? t('row.left', { time: formatDuration(figures.etaSeconds) }) : figures.tail ? t('row.tail') : ''}</span>
      </div>
      <div className="transfer__line transfer__line--second">
        {/* Where it goes, first on the line, so a long phase never cuts it (the storage domain, the file). */}
        <span className="transfer__target muted" title={tr.direction === 'upload' ? target : tr.localPath}>
          → {target}
          {tr.restore?.attachVmName ? `, ${t('backups.rowAttach', { vm: tr.restore.attachVmName })}` : ''}
        </span>
        <span className={`transfer__phase tone-${phase.tone}`} data-testid="transfer-phase">
          {t(phase.key, phaseParams)}
          {details.length > 0 && <span className="muted"> · {details.join(' · ')}</span>}
        </span>
        <span className="transfer__actions">
          {tr.actions.move && (
            <>
              <button type="button" className="icon" aria-label={t('action.moveUp')} title={t('action.moveUp')} tabIndex={-1} onClick={() => onMove(tr, 'up')}>
                <Icon name="up" />
              </button>
              <button type="button" className="icon" aria-label={t('action.moveDown')} title={t('action.moveDown')} tabIndex={-1} onClick={() => onMove(tr, 'down')}>
                <Icon name="down" />
              </button>
            </>
          )}
          {rowActions(tr.actions).map((a) => (
            <button key={a} type="button" className={`icon icon--${a}`} aria-label={t(`action.${a}`)} title={t(`action.${a}`)} onClick={() => onAction(tr, a)}>
              <Icon name={a} />
            </button>
          ))}
          <button type="button" className="icon" aria-label={expanded ? t('action.hideDetails') : t('action.details')} title={expanded ? t('action.hideDetails') : t('action.details')} onClick={() => onToggle(tr.id)}>
            <Icon name={expanded ? 'collapse' : 'expand'} />
          </button>
        </span>
      </div>
      {hint && (
        <div className="transfer__hint" data-testid="transfer-hint">
          {t(hint.key, hint.params)}
          {onEngineTransfers && lockedDisk(tr) && (
            <>
              {' '}
              <button type="button" className="link" onClick={() => onEngineTransfers(tr)}>
                {t('engineTransfers.seeDisk')}
              </button>
            </>
          )}
        </div>
      )}
      {expanded && <TransferDetails transfer={tr} locale={locale} />}
    </div>
  );
}
