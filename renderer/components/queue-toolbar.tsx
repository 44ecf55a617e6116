/**
 * The queue's actions bar: on the selection when there is one (start now, pause, resume, cancel),
 * and on the whole queue (pause all, resume all, retry failed, clear finished). Each button says how
 * many transfers it acts on and is disabled when none; the rules are main's (`TransferView.actions`).
 */
import { useTranslation } from 'react-i18next';
import type { TransferAction } from '../../shared/ipc.js';
import type { SelectionActions } from '../lib/selection-actions.js';

/** Props of the toolbar. */
export interface QueueToolbarProps {
  /** The actions over the selected transfers of the queue (none selected: all empty). */
  readonly selected: SelectionActions;
  readonly selectedCount: number;
  /** The actions over every transfer of the queue. */
  readonly all: SelectionActions;
  /** Failed transfers of the queue. */
  readonly failed: readonly string[];
  /** Finished transfers of the history that "clear finished" removes (completed and cancelled). */
  readonly finished: readonly string[];
  readonly onAct: (action: TransferAction, ids: readonly string[]) => void;
  readonly onCancel: (ids: readonly string[]) => void;
}

/** The toolbar. */
export function QueueToolbar({ selected, selectedCount, all, failed, finished, onAct, onCancel }: QueueToolbarProps) {
  const { t } = useTranslation();
  const button = (key: string, ids: readonly string[], onClick: () => void, className = 'small') => (
    <button type="button" className={className} disabled={ids.length === 0} onClick={onClick} data-testid={`queue-${key}`}>
      {t(`toolbar.${key}`, { count: ids.length })}
    </button>
  );
  return (
    <div className="queue-toolbar" role="toolbar" aria-label={t('toolbar.label')}>
      {selectedCount > 0 && (
        <>
          <span className="muted small" data-testid="queue-selected">
            {t('toolbar.selected', { count: selectedCount })}
          </span>
          {button('startNow', selected.startNow, () => onAct('startNow', selected.startNow))}
          {button('pauseSelected', selected.pause, () => onAct('pause', selected.pause))}
          {button('resumeSelected', selected.resume, () => onAct('resume', selected.resume))}
          {button('cancelSelected', selected.cancel, () => onCancel(selected.cancel), 'small danger-text')}
          <span className="toolbar-gap" aria-hidden="true" />
        </>
      )}
      {button('pauseAll', all.pause, () => onAct('pause', all.pause))}
      {button('resumeAll', all.resume, () => onAct('resume', all.resume))}
      {button('retryFailed', failed, () => onAct('retry', failed))}
      {button('clearFinished', finished, () => onAct('remove', finished))}
    </div>
  );
}
