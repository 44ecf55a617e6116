/** The status bar: the drop hint, the batch's progress and time left, and what runs now at what total rate. */
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { ProgressBar } from '../components/progress-bar.js';
import { useLocale } from '../hooks/use-locale.js';
import { formatBytes, formatDuration, formatPercent, formatRate } from '../lib/format.js';
import { batchFigures } from '../lib/progress-figures.js';
import { useAppState } from './context.js';

/** The status bar container. */
export function StatusBar() {
  const { t } = useTranslation();
  const locale = useLocale();
  const summary = useAppState((s) => s.transfers.summary);
  const connected = useAppState((s) => s.engines.profiles.some((p) => p.id === s.engines.selectedId && p.status === 'connected'));
  const limit = useAppState((s) => s.settings?.bandwidthLimit ?? null);
  // The sum of the rates the rows show (main adds the same figures), beside the limit it must keep.
  const moving = useAppState((s) => s.transfers.summary.running > 0 && s.transfers.transfers.some((t) => t.state === 'transferring'));
  const rate = moving ? formatRate(summary.rate, locale) : '—';
  // The batch from the rows' own figures: data that moves (holes apart), the rows' rates summed.
  const transfers = useAppState((s) => s.transfers.transfers);
  const batch = useMemo(() => batchFigures(transfers), [transfers]);
  return (
    <footer className="status-bar" role="status" aria-live="off">
      <span className="muted">{connected ? t('status.dropHint') : t('status.connectFirst')}</span>
      <span className="spacer" />
      {batch && (
        <span className="status-batch" data-testid="batch-progress" data-fraction={batch.fraction ?? undefined} data-left={batch.left} data-eta={batch.etaSeconds ?? undefined}>
          <ProgressBar fraction={batch.fraction} tone="active" busy={false} label={t('status.batchLabel')} />
          {t('status.batch', { count: batch.count, percent: formatPercent(batch.fraction, locale), left: formatBytes(batch.left, locale) })}
          {batch.etaSeconds !== null && ` · ${t('row.left', { time: formatDuration(batch.etaSeconds) })}`}
        </span>
      )}
      <span data-testid="status-totals" data-rate={moving ? summary.rate : undefined}>
        {limit === null
          ? t('status.totals', { running: summary.running, pending: summary.pending, rate })
          : t('status.totalsLimited', { running: summary.running, pending: summary.pending, rate, limit: formatRate(limit, locale) })}
      </span>
    </footer>
  );
}
