/** The small sheets: confirm an upload cancel, a password, typed paths, and the history report. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorInfo, Result } from '../../shared/errors.js';
import type { EngineProfileView, TransferView } from '../../shared/ipc.js';
import { pathsFromText } from '../lib/drop-paths.js';
import { Sheet } from './sheet.js';

/** Props of the cancel confirmation. */
export interface ConfirmCancelSheetProps {
  /** The transfers to cancel (those that can be: not finished). */
  readonly transfers: readonly TransferView[];
  readonly onConfirm: () => void;
  readonly onClose: () => void;
}

/** States in which a transfer holds an engine transfer (cancelling it ends that). */
const RUNNING = new Set(['preparing', 'initializing', 'transferring', 'verifying', 'finalizing', 'paused']);
/** How many names the sheet lists before "and N more". */
const LISTED = 8;

/**
 * Asks before cancelling, in one sheet for one transfer or many: which of them run, that the engine
 * deletes the disk of every cancelled upload (even one that existed before), that a running download
 * keeps its partial file, and that one not started yet just leaves the queue (Retry brings it back).
 */
export function ConfirmCancelSheet({ transfers, onConfirm, onClose }: ConfirmCancelSheetProps) {
  const { t } = useTranslation();
  const running = transfers.filter((x) => RUNNING.has(x.state));
  // Uploads that made (or are making) their disk: the engine deletes it. One that never started has none yet.
  const uploads = transfers.filter((x) => x.cancelDeletesDisk && (RUNNING.has(x.state) || x.startedAt !== null || x.diskId !== null));
  const downloadsRunning = running.filter((x) => x.direction === 'download').length;
  const notStarted = transfers.length - running.length;
  const single = transfers.length === 1 ? transfers[0] : undefined;
  const title = single ? (uploads.length === 1 ? t('cancel.title', { name: single.name }) : t('cancel.titleOne', { name: single.name })) : t('cancel.titleMany', { count: transfers.length });
  const confirm = uploads.length === 0 ? t('cancel.confirmMany', { count: transfers.length }) : uploads.length === 1 ? t('cancel.confirm') : t('cancel.confirmDisks', { count: uploads.length });
  return (
    <Sheet
      title={title}
      onClose={onClose}
      onSubmit={onClose}
      testId="confirm-cancel"
      footer={
        <>
          <button type="submit" autoFocus>
            {single && uploads.length === 1 ? t('cancel.keep') : t('cancel.keepMany', { count: transfers.length })}
          </button>
          <button type="button" className="danger" onClick={onConfirm}>
            {confirm}
          </button>
        </>
      }
    >
      {!single && (
        <ul className="cancel-list" data-testid="cancel-list">
          {transfers.slice(0, LISTED).map((x) => (
            <li key={x.id}>
              {x.name}
              <span className="muted"> · {RUNNING.has(x.state) ? t('cancel.running') : t(`state.${x.state}`)}</span>
            </li>
          ))}
          {transfers.length > LISTED && <li className="muted">{t('cancel.more', { count: transfers.length - LISTED })}</li>}
        </ul>
      )}
      {uploads.length > 0 && (
        <p className="warning" role="alert">
          {uploads.length === 1 ? t('cancel.warning', { disk: uploads[0]!.diskName }) : t('cancel.warningMany', { count: uploads.length })}
        </p>
      )}
      {downloadsRunning > 0 && <p>{t('cancel.downloads', { count: downloadsRunning })}</p>}
      {notStarted > 0 && <p className="muted">{t('cancel.notStarted', { count: notStarted })}</p>}
    </Sheet>
  );
}

/** Props of the password sheet. */
export interface PasswordSheetProps {
  readonly profile: EngineProfileView;
  readonly onSubmit: (password: string, save: boolean) => Promise<Result<null>>;
  readonly onClose: () => void;
}

/** Asks the password of a profile without a saved one. */
export function PasswordSheet({ profile, onSubmit, onClose }: PasswordSheetProps) {
  const { t } = useTranslation();
  const [password, setPassword] = useState('');
  const [save, setSave] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const submit = async () => {
    const r = await onSubmit(password, save);
    if (!r.ok) setError(r.error);
  };
  return (
    <Sheet
      title={t('password.title', { name: profile.name })}
      onClose={onClose}
      onSubmit={() => void submit()}
      footer={
        <>
          <button type="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="primary" disabled={password === ''}>
            {t('password.connect')}
          </button>
        </>
      }
    >
      <label className="field">
        <span>{t('password.label', { user: profile.username })}</span>
        <input type="password" value={password} autoFocus autoComplete="current-password" onChange={(e) => setPassword(e.target.value)} />
      </label>
      <label className="check">
        <input type="checkbox" checked={save} onChange={(e) => setSave(e.target.checked)} />
        {t('addEngine.savePassword')}
      </label>
      {error && (
        <p className="error-text" role="alert">
          {error.message}
        </p>
      )}
    </Sheet>
  );
}

/** Props of the typed-paths sheet. */
export interface PathsSheetProps {
  /** Names of dropped files whose paths the host could not see. */
  readonly names: readonly string[];
  readonly onSubmit: (paths: readonly string[]) => void;
  readonly onClose: () => void;
}

/** Where the host cannot see files (a browser page): the paths, typed one per line. */
export function PathsSheet({ names, onSubmit, onClose }: PathsSheetProps) {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const paths = pathsFromText(text);
  return (
    <Sheet
      title={t('paths.title')}
      onClose={onClose}
      onSubmit={() => paths.length > 0 && onSubmit(paths)}
      testId="paths"
      footer={
        <>
          <button type="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="primary" disabled={paths.length === 0}>
            {t('paths.check', { count: paths.length })}
          </button>
        </>
      }
    >
      <p>{t('paths.explain')}</p>
      {names.length > 0 && <p className="muted small">{t('paths.dropped', { names: names.join(', ') })}</p>}
      <textarea className="mono" rows={5} aria-label={t('paths.label')} placeholder="/var/lib/images/fedora-40.qcow2" value={text} autoFocus onChange={(e) => setText(e.target.value)} />
    </Sheet>
  );
}
