/** The queue: its summary line, the global controls, its actions bar, and one row per transfer not yet done. */
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { TransferView } from '../../shared/ipc.js';
import { QueueControls } from '../components/queue-controls.js';
import { QueueToolbar } from '../components/queue-toolbar.js';
import { TransferList } from '../components/transfer-list.js';
import type { RowAction } from '../lib/transfer-text.js';
import { useLocale } from '../hooks/use-locale.js';
import { formatRate } from '../lib/format.js';
import { failedIds, selectionActions } from '../lib/selection-actions.js';
import { inQueue, queueCounts } from '../state/selectors.js';
import { useAppState, useController } from './context.js';
import { useTransferMenu } from './transfer-menu.js';

/** Dispatches a row's action to the controller (cancel goes through the warning). */
export function useRowHandlers() {
  const c = useController();
  return {
    onAction: (t: TransferView, action: RowAction) => {
      if (action === 'cancel') c.requestCancel(t);
      else if (action === 'reveal') void c.reveal(t.id);
      else c[action](t.id);
    },
    onMove: (t: TransferView, to: 'top' | 'up' | 'down' | 'bottom') => c.move(t.id, to),
    onToggle: c.toggleTransfer,
    onEngineTransfers: (t: TransferView) => void c.openEngineTransfers(t),
  };
}

/** The queue container. */
export function QueuePane() {
  const { t } = useTranslation();
  const c = useController();
  const locale = useLocale();
  const snapshot = useAppState((s) => s.transfers);
  const settings = useAppState((s) => s.settings);
  const expanded = useAppState((s) => s.expandedTransferIds);
  const handlers = useRowHandlers();
  const engines = useAppState((s) => s.engines.profiles);
  // Rows of an engine that stopped answering say they wait for it.
  const awaySince = useMemo(() => new Map(engines.flatMap((p) => (p.status === 'connected' && p.away ? [[p.id, p.away.since] as const] : []))), [engines]);
  const queue = useMemo(() => snapshot.transfers.filter(inQueue), [snapshot]);
  const finished = useMemo(() => snapshot.transfers.filter((t) => (t.state === 'completed' || t.state === 'cancelled') && t.actions.remove).map((t) => t.id), [snapshot]);
  const list = useTransferMenu(queue);
  const all = useMemo(() => selectionActions(queue), [queue]);
  const selectedActions = useMemo(() => selectionActions(list.selected), [list.selected]);
  const counts = queueCounts(queue);
  const window = settings?.scheduleWindow ?? null;
  const parts = [t('queue.running', { count: counts.running }), t('queue.waiting', { count: counts.waiting })];
  if (counts.paused) parts.push(t('queue.paused', { count: counts.paused }));
  if (counts.failed) parts.push(t('queue.failed', { count: counts.failed }));
  if (window) parts.push(t('queue.windowSummary', { start: window.start, end: window.end }));
  if (settings?.bandwidthLimit) parts.push(t('queue.limitSummary', { rate: formatRate(settings.bandwidthLimit, locale) }));

  return (
    <section className="queue" aria-labelledby="queue-heading">
      <div className="queue__head">
        <h2 id="queue-heading">{t('queue.title')}</h2>
        <span className="muted small" data-testid="queue-summary">
          {parts.join(' · ')}
        </span>
        <span className="spacer" />
        {settings && <QueueControls settings={settings} onChange={c.setSettings} />}
      </div>
      <QueueToolbar
        selected={selectedActions}
        selectedCount={list.selected.length}
        all={all}
        failed={failedIds(queue)}
        finished={finished}
        onAct={(action, ids) => void c.act(action, ids)}
        onCancel={c.confirmCancel}
      />
      {queue.length === 0 ? (
        <div className="queue__empty">
          <p>{t('queue.empty')}</p>
          <p className="muted small">{t('queue.emptyHint')}</p>
        </div>
      ) : (
        <TransferList
          transfers={queue}
          expandedIds={expanded}
          engineAwaySince={awaySince}
          window={window}
          locale={locale}
          label={t('queue.title')}
          testId="queue-list"
          {...list.listProps}
          {...handlers}
        />
      )}
      {list.menu}
    </section>
  );
}
