/**
 * "Transfers on this engine": every image transfer the selected engine lists (or those of one disk),
 * ours marked, another client's that may be in use marked as such; ending one asks first, saying
 * what happens to its disk and whose the transfer is, then shows that it waits for the disk and,
 * per transfer, what it did. The window's side of `diskferry transfers [clean]`.
 */
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorInfo } from '../../shared/errors.js';
import type { EndEngineTransferResult, EngineTransfers, EngineTransferView } from '../../shared/ipc.js';
import { errorReason } from '../lib/error-text.js';
import { confirmWords, diskLabel, ownerWords, paramsOf, resultWords } from '../lib/engine-transfer-text.js';
import { formatDuration } from '../lib/format.js';
import { Sheet } from './sheet.js';

/** One ended (or refused) transfer, shown above the list. */
export interface EndLine {
  readonly row: EngineTransferView;
  readonly outcome: { readonly ok: true; readonly value: EndEngineTransferResult } | { readonly ok: false; readonly error: ErrorInfo };
}

/** Props of the sheet. */
export interface EngineTransfersSheetProps {
  readonly list: EngineTransfers | null;
  readonly loading: boolean;
  readonly error: ErrorInfo | null;
  /** Only this disk's transfers (its name for the title). */
  readonly filter: { readonly diskId: string; readonly diskName: string } | null;
  /** Transfers being ended now. */
  readonly ending: ReadonlySet<string>;
  readonly results: readonly EndLine[];
  /** The failed job this sheet was opened from, when it can be retried now. */
  readonly retryName: string | null;
  readonly onRefresh: () => void;
  readonly onShowAll: () => void;
  readonly onEnd: (row: EngineTransferView) => void;
  readonly onRetry: () => void;
  readonly onClose: () => void;
}

/** The sheet. */
export function EngineTransfersSheet(props: EngineTransfersSheetProps) {
  const { list, loading, error, filter, ending, results, retryName, onRefresh, onShowAll, onEnd, onRetry, onClose } = props;
  const { t, i18n } = useTranslation();
  const [confirming, setConfirming] = useState<EngineTransferView | null>(null);
  const engine = list?.engineName ?? '';
  const title = filter ? t('engineTransfers.titleDisk', { disk: filter.diskName, engine }) : t('engineTransfers.title', { engine });

  if (confirming)
    return (
      <ConfirmEnd
        row={confirming}
        onBack={() => setConfirming(null)}
        onEnd={() => {
          setConfirming(null);
          onEnd(confirming);
        }}
      />
    );

  const rows = list?.transfers ?? [];
  return (
    <Sheet
      title={title}
      onClose={onClose}
      onSubmit={onClose}
      wide
      testId="engine-transfers"
      footer={
        <>
          {filter && (
            <button type="button" onClick={onShowAll}>
              {t('engineTransfers.showAll')}
            </button>
          )}
          <button type="button" onClick={onRefresh} disabled={loading}>
            {t('engineTransfers.refresh')}
          </button>
          {retryName !== null && (
            <button type="button" className="primary" onClick={onRetry}>
              {t('engineTransfers.retry', { name: retryName })}
            </button>
          )}
          <button type="submit" className={retryName === null ? 'primary' : ''}>
            {t('common.close')}
          </button>
        </>
      }
    >
      <p className="small">{t('engineTransfers.explain')}</p>
      {results.length > 0 && (
        <ul className="end-results" role="status" data-testid="engine-transfer-results">
          {results.map((line, i) => {
            const text = line.outcome.ok
              ? (() => {
                  const w = resultWords(line.outcome.value, line.row.direction);
                  return t(w.key, w.params);
                })()
              : t('engineTransfers.result.failed', { disk: diskLabel(line.row), reason: errorReason(line.outcome.error, t, i18n.language) });
            const settled = line.outcome.ok && (line.outcome.value.disk === 'ok' || line.outcome.value.disk === 'removed');
            return (
              <li key={`${line.row.id}-${i}`} className={settled ? 'tone-done' : 'error-text'}>
                {text}
              </li>
            );
          })}
        </ul>
      )}
      {error && (
        <p className="error-text" role="alert">
          {errorReason(error, t, i18n.language)}
        </p>
      )}
      {loading && rows.length === 0 && <p className="muted">{t('engineTransfers.loading')}</p>}
      {list && !loading && rows.length === 0 && !error && <p data-testid="engine-transfers-none">{filter ? t('engineTransfers.noneDisk') : t('engineTransfers.none')}</p>}
      {rows.length > 0 && (
        <div className="table-scroll table-scroll--report">
          <table className="dense-table engine-transfers" aria-busy={loading}>
            <thead>
              <tr>
                <th>{t('engineTransfers.colDisk')}</th>
                <th>{t('engineTransfers.colPhase')}</th>
                <th>{t('engineTransfers.colHost')}</th>
                <th>{t('engineTransfers.colOwner')}</th>
                <th className="num">{t('engineTransfers.colIdle')}</th>
                <th>{t('engineTransfers.colState')}</th>
                <th>
                  <span className="visually-hidden">{t('engineTransfers.colAction')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const owner = ownerWords(r);
                const busy = ending.has(r.id);
                return (
                  <tr key={r.id} data-testid="engine-transfer" data-transfer-id={r.id} data-condition={r.condition} data-ours={r.owner ? 'true' : 'false'} className={r.condition === 'stuck' ? 'row--problem' : ''}>
                    <td className="col-name" title={r.diskId ?? ''}>
                      <span aria-hidden="true">{r.direction === 'upload' ? '↑ ' : '↓ '}</span>
                      {diskLabel(r)}
                      <span className="muted small"> · {t(`row.${r.direction}`)}</span>
                    </td>
                    <td className="mono small">{r.phase}</td>
                    <td className="nowrap">{r.hostName ?? '—'}</td>
                    <td className={r.owner ? 'tone-ours' : r.endable === 'another-client' ? 'tone-foreign' : ''}>{t(owner.key, paramsOf(owner, t))}</td>
                    <td className="num nowrap">{r.idleMs === null ? '—' : t('engineTransfers.idle', { time: formatDuration(r.idleMs / 1000) })}</td>
                    <td className="engine-transfers__state">
                      <strong>{t(`engineTransfers.condition.${r.condition}`)}</strong>
                      <div className="muted small">{t(`engineTransfers.reason.${r.reason}`)}</div>
                    </td>
                    <td className="engine-transfers__action">
                      {busy ? (
                        <span className="muted small" role="status" aria-busy="true">
                          {t(r.ending === 'cancel' ? 'engineTransfers.endingUpload' : 'engineTransfers.endingDownload')}
                        </span>
                      ) : (
                        r.endable !== 'no' && (
                          <button type="button" className={r.endable === 'stuck' ? 'small' : 'small danger-link'} aria-label={t('engineTransfers.endLabel', { disk: diskLabel(r) })} onClick={() => setConfirming(r)}>
                            {r.endable === 'stuck' ? t('engineTransfers.end') : t('engineTransfers.endForeign')}
                          </button>
                        )
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Sheet>
  );
}

/** The question before ending a transfer: whose it is and what happens to its disk; "Keep it" has the focus. */
function ConfirmEnd({ row, onBack, onEnd }: { readonly row: EngineTransferView; readonly onBack: () => void; readonly onEnd: () => void }) {
  const { t } = useTranslation();
  const keep = useRef<HTMLButtonElement>(null);
  // After the sheet's dialog opened (its effect runs first): the safe answer is the default one.
  useEffect(() => keep.current?.focus(), []);
  const words = confirmWords(row);
  return (
    <Sheet
      title={t('engineTransfers.confirmTitle', { disk: diskLabel(row) })}
      onClose={onBack}
      onSubmit={onBack}
      testId="engine-transfer-confirm"
      footer={
        <>
          <button type="submit" ref={keep}>
            {t('engineTransfers.keep')}
          </button>
          <button type="button" className="danger" onClick={onEnd}>
            {t(words.button)}
          </button>
        </>
      }
    >
      {words.whose && (
        <p className={row.endable === 'another-client' ? 'warning' : ''} data-testid="confirm-whose">
          {t(words.whose.key, { ...paramsOf(words.whose, t), reason: t(`engineTransfers.reason.${row.reason}`) })}
        </p>
      )}
      <p className={row.ending === 'cancel' ? 'warning' : ''} role="alert">
        {t(words.effect.key, words.effect.params)}
      </p>
      <p className="muted small mono">{t('engineTransfers.transferId', { id: row.id })}</p>
    </Sheet>
  );
}
