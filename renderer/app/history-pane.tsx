/** The history: a summary line with the report, and the finished transfers when opened. */
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { TransferList } from '../components/transfer-list.js';
import { useLocale } from '../hooks/use-locale.js';
import { formatBytes } from '../lib/format.js';
import { historySummary, inHistory } from '../state/selectors.js';
import { useAppState, useController } from './context.js';
import { useRowHandlers } from './queue-pane.js';
import { useTransferMenu } from './transfer-menu.js';

/** The history container. */
export function HistoryPane() {
  const { t } = useTranslation();
  const c = useController();
  const locale = useLocale();
  const snapshot = useAppState((s) => s.transfers);
  const expanded = useAppState((s) => s.expandedTransferIds);
  const handlers = useRowHandlers();
  const [open, setOpen] = useState(false);
  const history = useMemo(() => snapshot.transfers.filter(inHistory), [snapshot]);
  const summary = historySummary(history);
  const list = useTransferMenu(history);
  return (
    <section className={open ? 'history history--open' : 'history'} aria-labelledby="history-heading">
      <div className="history__head">
        <button type="button" className="th-button" aria-expanded={open} onClick={() => setOpen(!open)}>
          <h2 id="history-heading">
            {open ? '▾ ' : '▸ '}
            {t('history.title')}
          </h2>
        </button>
        <span className="muted small" data-testid="history-summary">
          {history.length === 0
            ? t('history.empty')
            : t('history.summary', { uploaded: summary.uploaded, downloaded: summary.downloaded, failed: summary.failed, size: formatBytes(summary.bytes, locale) })}
        </span>
        <span className="spacer" />
        <button type="button" className="small" disabled={history.length === 0} onClick={() => c.openSheet({ kind: 'report' })}>
          {t('history.report')}
        </button>
      </div>
      {open && history.length > 0 && (
        <TransferList
          transfers={history}
          expandedIds={expanded}
          window={null}
          locale={locale}
          label={t('history.title')}
          testId="history-list"
          {...list.listProps}
          {...handlers}
        />
      )}
      {list.menu}
    </section>
  );
}
