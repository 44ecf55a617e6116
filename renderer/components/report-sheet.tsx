/**
 * The history report: every finished transfer in a table (finish time, average rate, where it went,
 * the checksum), saved as the queue's CSV or JSON report (the CLI's) or copied as CSV.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TransferView } from '../../shared/ipc.js';
import type { ReportFormat } from '../../shared/ipc.js';
import { formatBytes, formatDateTime, formatDuration, formatRate } from '../lib/format.js';
import { averageRate, destinationOf } from '../lib/progress-figures.js';
import { historyReportCsv, type HistorySummary } from '../state/selectors.js';
import { Sheet } from './sheet.js';

/** Props of the report. */
export interface ReportSheetProps {
  readonly history: readonly TransferView[];
  readonly summary: HistorySummary;
  readonly locale: string;
  /** Saves the queue's report of these transfers (the save dialog, or a download in a browser). */
  readonly onSave: (format: ReportFormat) => void;
  readonly onClose: () => void;
}

/** The report sheet. */
export function ReportSheet({ history, summary, locale, onSave, onClose }: ReportSheetProps) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState<boolean | null>(null);
  const csv = historyReportCsv(history);
  const copy = () => {
    void navigator.clipboard.writeText(csv).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <Sheet
      title={t('report.title')}
      onClose={onClose}
      onSubmit={onClose}
      wide
      testId="report"
      footer={
        <>
          <button type="button" onClick={() => onSave('csv')} disabled={history.length === 0}>
            {t('report.saveCsv')}
          </button>
          <button type="button" onClick={() => onSave('json')} disabled={history.length === 0}>
            {t('report.saveJson')}
          </button>
          <button type="button" onClick={copy}>
            {t('report.copy')}
          </button>
          <button type="submit" className="primary">
            {t('common.close')}
          </button>
        </>
      }
    >
      <p>
        {t('history.summary', { uploaded: summary.uploaded, downloaded: summary.downloaded, failed: summary.failed, size: formatBytes(summary.bytes, locale) })}
      </p>
      {copied !== null && <p className="small" role="status">{copied ? t('report.copied') : t('report.copyFailed')}</p>}
      <div className="table-scroll table-scroll--report">
        <table className="dense-table">
          <thead>
            <tr>
              <th>{t('report.finished')}</th>
              <th>{t('report.direction')}</th>
              <th>{t('report.name')}</th>
              <th>{t('report.result')}</th>
              <th className="num">{t('report.size')}</th>
              <th className="num">{t('report.duration')}</th>
              <th className="num">{t('report.averageRate')}</th>
              <th>{t('report.destination')}</th>
              <th>{t('report.checksum')}</th>
            </tr>
          </thead>
          <tbody>
            {history.map((tr) => (
              <tr key={tr.id} className={tr.state === 'failed' ? 'row--problem' : ''}>
                <td>{formatDateTime(tr.finishedAt, locale)}</td>
                <td>{t(`row.${tr.direction}`)}</td>
                <td className="col-name" title={tr.localPath}>
                  {tr.name}
                </td>
                <td>
                  {t(`state.${tr.state}`)}
                  {tr.error && <div className="error-text small">{tr.error.message}</div>}
                </td>
                <td className="num">{formatBytes(tr.progress.bytesTotal, locale)}</td>
                <td className="num">{formatDuration(tr.progress.elapsedMs / 1000)}</td>
                <td className="num">{tr.state === 'completed' ? formatRate(averageRate(tr), locale) : ''}</td>
                <td className="mono small col-name" title={destinationOf(tr)}>
                  {destinationOf(tr)}
                </td>
                <td className="mono small" title={tr.checksum?.note}>
                  {tr.checksum?.local ? `${tr.checksum.algorithm} ${tr.checksum.local.slice(0, 16)}…` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <details>
        <summary>{t('report.csv')}</summary>
        <textarea className="mono" rows={6} readOnly value={csv} aria-label={t('report.csv')} />
      </details>
    </Sheet>
  );
}
