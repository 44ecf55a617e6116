/** The status bar: the drop hint, and what runs now at what total rate. */
import { useTranslation } from 'react-i18next';
import { useLocale } from '../hooks/use-locale.js';
import { formatRate } from '../lib/format.js';
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
  return (
    <footer className="status-bar" role="status" aria-live="off">
      <span className="muted">{connected ? t('status.dropHint') : t('status.connectFirst')}</span>
      <span className="spacer" />
      <span data-testid="status-totals" data-rate={moving ? summary.rate : undefined}>
        {limit === null
          ? t('status.totals', { running: summary.running, pending: summary.pending, rate })
          : t('status.totalsLimited', { running: summary.running, pending: summary.pending, rate, limit: formatRate(limit, locale) })}
      </span>
    </footer>
  );
}
