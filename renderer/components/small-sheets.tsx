/** The small sheets: confirm an upload cancel, a password, typed paths, and the history report. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorInfo, Result } from '../../shared/errors.js';
import type { EngineProfileView, TransferView } from '../../shared/ipc.js';
import { pathsFromText } from '../lib/drop-paths.js';
import { Sheet } from './sheet.js';

/** Props of the cancel confirmation. */
export interface ConfirmCancelSheetProps {
  readonly transfer: TransferView;
  readonly onConfirm: () => void;
  readonly onClose: () => void;
}

/** Warns that the engine deletes an upload's disk when it is cancelled. */
export function ConfirmCancelSheet({ transfer, onConfirm, onClose }: ConfirmCancelSheetProps) {
  const { t } = useTranslation();
  return (
    <Sheet
      title={t('cancel.title', { name: transfer.name })}
      onClose={onClose}
      onSubmit={onClose}
      testId="confirm-cancel"
      footer={
        <>
          <button type="submit" autoFocus>
            {t('cancel.keep')}
          </button>
          <button type="button" className="danger" onClick={onConfirm}>
            {t('cancel.confirm')}
          </button>
        </>
      }
    >
      <p className="warning" role="alert">
        {t('cancel.warning', { disk: transfer.diskName })}
      </p>
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
