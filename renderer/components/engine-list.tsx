/** The left pane's engines: select one; test or remove the selected one. */
import { useTranslation } from 'react-i18next';
import type { EngineProfileView } from '../../shared/ipc.js';
import { connectionKey, connectionTone } from '../lib/engine-text.js';
import { StatusDot } from './status-dot.js';

/** Props of the engine list. */
export interface EngineListProps {
  readonly profiles: readonly EngineProfileView[];
  readonly selectedId: string | null;
  /** A line under the selected engine (a test result), already in words. */
  readonly testLine: string | null;
  readonly onSelect: (id: string) => void;
  readonly onTest: (id: string) => void;
  readonly onRemove: (id: string) => void;
  readonly onAdd: () => void;
  /** "Transfers on this engine…" (the selected, connected engine). */
  readonly onTransfers: () => void;
}

/** The engines section. */
export function EngineList({ profiles, selectedId, testLine, onSelect, onTest, onRemove, onAdd, onTransfers }: EngineListProps) {
  const { t } = useTranslation();
  const selected = profiles.find((p) => p.id === selectedId) ?? null;
  return (
    <section className="pane-section" aria-labelledby="engines-heading">
      <div className="pane-section__head">
        <h2 id="engines-heading">{t('sidebar.engines')}</h2>
        <button type="button" className="link" onClick={onAdd}>
          {t('sidebar.addEngine')}
        </button>
      </div>
      <ul className="engine-list">
        {profiles.map((p) => (
          <li key={p.id}>
            <button type="button" className={p.id === selectedId ? 'list-item list-item--selected' : 'list-item'} aria-pressed={p.id === selectedId} onClick={() => onSelect(p.id)}>
              <span className="list-item__name">{p.name}</span>
              <StatusDot tone={connectionTone(p.status)} label={t(connectionKey(p.status))} />
            </button>
          </li>
        ))}
      </ul>
      {selected && (
        <div className="engine-detail">
          <div className="muted small" title={selected.engineUrl}>
            {selected.username} · {selected.caFingerprint ? t('sidebar.pinned') : t('sidebar.systemTrust')}
          </div>
          {selected.status === 'failed' && selected.error && (
            <p className="error-text small" role="alert">
              {selected.error.message}
            </p>
          )}
          <div className="button-row">
            <button type="button" className="small" onClick={() => onTest(selected.id)}>
              {t('sidebar.test')}
            </button>
            {selected.status === 'connected' && (
              <button type="button" className="small" onClick={onTransfers}>
                {t('sidebar.engineTransfers')}
              </button>
            )}
            {selected.status !== 'connected' && (
              <button type="button" className="small" onClick={() => onSelect(selected.id)}>
                {t('sidebar.connect')}
              </button>
            )}
            <button type="button" className="small danger-link" onClick={() => onRemove(selected.id)}>
              {t('sidebar.remove')}
            </button>
          </div>
          {testLine && <p className="small" role="status">{testLine}</p>}
        </div>
      )}
    </section>
  );
}
