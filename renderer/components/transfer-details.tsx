/**
 * A transfer's details: phase timeline, where the data goes, attempts, the checksum, notes, the last
 * error, and for a failed, cancelled or waiting one the way to fix it there: "Change and retry…".
 */
import { useTranslation } from 'react-i18next';
import { useController } from '../app/context.js';
import type { BackupJobView, TransferView } from '../../shared/ipc.js';
import { errorReason } from '../lib/error-text.js';
import { formatBytes, formatDateTime, formatDuration, formatRate, formatTime } from '../lib/format.js';
import { averageRate, destinationOf, formatDirection } from '../lib/progress-figures.js';

/** Props of the details. */
export interface TransferDetailsProps {
  readonly transfer: TransferView;
  readonly locale: string;
}

/** The details block under an expanded row. */
export function TransferDetails({ transfer: tr, locale }: TransferDetailsProps) {
  const { t, i18n } = useTranslation();
  const c = useController();
  const route = tr.progress.viaProxy === null ? '—' : tr.progress.viaProxy ? t('details.routeProxy') : t('details.routeDirect');
  return (
    <div className="transfer__details" data-testid="transfer-details">
      <ol className="timeline" aria-label={t('details.timeline')}>
        {tr.timeline.map((step, i) => (
          <li key={`${step.state}-${i}`}>
            <span className="timeline__time">{formatTime(step.at, locale)}</span> {t(`state.${step.state}`)}
          </li>
        ))}
      </ol>
      <dl className="facts">
        <dt>{tr.direction === 'upload' ? t('details.source') : t('details.target')}</dt>
        <dd className="mono">{tr.localPath}</dd>
        <dt>{tr.backup ? t('backups.vm') : t('details.disk')}</dt>
        <dd>
          {tr.diskName}
          {tr.diskId && <span className="muted mono"> {tr.diskId}</span>}
        </dd>
        {tr.storageDomainName && (
          <>
            <dt>{t('details.domain')}</dt>
            <dd>{tr.storageDomainName}</dd>
          </>
        )}
        <dt>{t('details.format')}</dt>
        <dd data-testid="transfer-format">{formatDirection(tr)}</dd>
        <dt>{t('details.route')}</dt>
        <dd>{route}</dd>
        <dt>{t('details.moved')}</dt>
        <dd>
          {tr.progress.dataTotal !== null
            ? t('details.movedData', {
                done: formatBytes(tr.state === 'completed' ? tr.progress.dataTotal : tr.progress.dataDone, locale),
                total: formatBytes(tr.progress.dataTotal, locale),
                holes: formatBytes(Math.max(0, (tr.progress.bytesTotal ?? tr.progress.dataTotal) - tr.progress.dataTotal), locale),
                wire: formatBytes(tr.progress.bytesOnWire, locale),
              })
            : t('details.movedValue', {
                done: formatBytes(tr.progress.bytesDone, locale),
                total: formatBytes(tr.progress.bytesTotal, locale),
                wire: formatBytes(tr.progress.bytesOnWire, locale),
              })}
        </dd>
        <dt>{t('details.elapsed')}</dt>
        <dd>{formatDuration(tr.progress.elapsedMs / 1000)}</dd>
        <dt>{t('details.attempts')}</dt>
        <dd>{tr.attempts}</dd>
        {tr.finishedAt !== null && (
          <>
            <dt>{t('details.finished')}</dt>
            <dd data-testid="transfer-finished">{formatDateTime(tr.finishedAt, locale)}</dd>
            <dt>{t('details.averageRate')}</dt>
            <dd data-testid="transfer-average-rate" title={t('details.averageRateHelp')}>
              {formatRate(averageRate(tr), locale)}
            </dd>
            <dt>{t('details.destination')}</dt>
            <dd className="mono" data-testid="transfer-destination">
              {destinationOf(tr)}
            </dd>
          </>
        )}
        {tr.checksum && (
          <>
            <dt>{t('details.checksum')}</dt>
            <dd data-testid="transfer-checksum" title={tr.checksum.note}>
              {tr.checksum.verified ? t('details.verified') : t('details.notVerified')}
              {tr.checksum.local && <span className="muted mono digest"> {tr.checksum.algorithm} {tr.checksum.local}</span>}
              {!tr.checksum.verified && <span className="muted"> — {tr.checksum.note}</span>}
            </dd>
          </>
        )}
        {tr.error && (
          <>
            <dt>{t('details.error')}</dt>
            <dd className="error-text">
              {errorReason(tr.error, t, i18n.language)} <span className="muted mono">({tr.error.code})</span>
            </dd>
          </>
        )}
      </dl>
      {tr.backup && <BackupDisks backup={tr.backup} locale={locale} />}
      {tr.actions.retarget && (
        <p className="transfer__fix">
          <button type="button" data-testid="retarget-open" onClick={() => void c.openRetarget(tr)}>
            {t('retarget.action')}
          </button>
        </p>
      )}
      {tr.notes.length > 0 && (
        <ul className="notes">
          {tr.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A backup's disks: each one's progress, then what the run fetched of it and how. */
function BackupDisks({ backup, locale }: { readonly backup: BackupJobView; readonly locale: string }) {
  const { t } = useTranslation();
  return (
    <table className="dense-table backup-disks" data-testid="backup-disks" aria-label={t('backups.detailsDisks')}>
      <tbody>
        {backup.disks.map((d) => (
          <tr key={d.id} data-testid="backup-disk" data-state={d.state}>
            <td className="col-name" title={d.id}>
              {d.name}
            </td>
            <td className="num">{formatBytes(d.size, locale)}</td>
            <td className="num">{d.size > 0 ? `${Math.floor((100 * d.bytesDone) / d.size)} %` : ''}</td>
            <td className={d.state === 'failed' ? 'error-text' : d.state === 'done' ? 'tone-done' : 'muted'}>{t(`backups.diskState.${d.state}`)}</td>
            <td className="muted">{d.dataBytes !== null && d.mode !== null ? t('backups.diskResult', { data: formatBytes(d.dataBytes, locale), mode: t(`backups.kind.${d.mode}`) }) : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
