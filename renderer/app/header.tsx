/** The header: the app name, engine switcher, connection state, Add files and Download. */
import { useTranslation } from 'react-i18next';
import { ConnectionBadge } from '../components/connection-badge.js';
import { EngineSwitcher } from '../components/engine-switcher.js';
import { Icon } from '../components/icon.js';
import { useLocale } from '../hooks/use-locale.js';
import { useAppState, useController } from './context.js';

/** The header container. */
export function Header() {
  const { t } = useTranslation();
  const c = useController();
  const locale = useLocale();
  const engines = useAppState((s) => s.engines);
  const selectedDiskIds = useAppState((s) => s.selectedDiskIds);
  const selected = engines.profiles.find((p) => p.id === engines.selectedId) ?? null;
  const connected = selected?.status === 'connected';
  return (
    <header className="app-header">
      <span className="app-title">DiskFerry</span>
      {engines.profiles.length > 0 && (
        <EngineSwitcher profiles={engines.profiles} selectedId={engines.selectedId} onSelect={(id) => void c.selectEngine(id)} onAdd={() => c.openSheet({ kind: 'add-engine' })} />
      )}
      <ConnectionBadge profile={selected} locale={locale} />
      <span className="spacer" />
      <button type="button" onClick={() => void c.addFiles()} disabled={!connected} title={t('header.addFilesHelp')} aria-keyshortcuts="Control+O">
        {t('header.addFiles')}
      </button>
      <button type="button" className="primary" onClick={() => c.openDownloadPlan(selectedDiskIds)} disabled={!connected || selectedDiskIds.length === 0} title={t('header.downloadHelp')}>
        {selectedDiskIds.length > 0 ? t('header.downloadCount', { count: selectedDiskIds.length }) : t('header.download')}
      </button>
      <button type="button" className="icon icon--large" onClick={() => c.openSheet({ kind: 'settings' })} aria-label={t('header.settings')} title={t('header.settings')} aria-keyshortcuts="Control+,">
        <Icon name="settings" size={16} />
      </button>
    </header>
  );
}
