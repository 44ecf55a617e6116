/** The header's engine picker: the profiles, and "Add an engine…" at the end. */
import { useTranslation } from 'react-i18next';
import type { EngineProfileView } from '../../shared/ipc.js';

const ADD = '__add__';

/** Props of the engine switcher. */
export interface EngineSwitcherProps {
  readonly profiles: readonly EngineProfileView[];
  readonly selectedId: string | null;
  readonly onSelect: (id: string) => void;
  readonly onAdd: () => void;
}

/** A select of engine profiles. */
export function EngineSwitcher({ profiles, selectedId, onSelect, onAdd }: EngineSwitcherProps) {
  const { t } = useTranslation();
  return (
    <label className="engine-switcher">
      <span className="engine-switcher__label">{t('header.engine')}</span>
      <select
        value={selectedId ?? ''}
        onChange={(e) => (e.target.value === ADD ? onAdd() : onSelect(e.target.value))}
        aria-label={t('header.engine')}
      >
        {selectedId === null && <option value="">{t('header.noEngine')}</option>}
        {profiles.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
        <option value={ADD}>{t('header.addEngine')}</option>
      </select>
    </label>
  );
}
