/**
 * The window: header, left pane (engines, storage domains, disks), the queue over the history,
 * the status bar; sheets on top. First run shows the teaching empty state instead of the panes.
 */
import { useCallback, useEffect, useState, type CSSProperties } from 'react';
import { useTranslation } from 'react-i18next';
import { FirstRun } from '../components/empty-state.js';
import { resolveLanguage } from '../i18n/language.js';
import type { DiskFerryApi } from '../lib/api.js';
import { DropZone } from './drop-zone.js';
import { Header } from './header.js';
import { HistoryPane } from './history-pane.js';
import { Notices } from './notices.js';
import { QueuePane } from './queue-pane.js';
import { Sheets } from './sheets.js';
import { Sidebar } from './sidebar.js';
import { Splitter } from './splitter.js';
import { useEchoedValue } from '../hooks/use-echoed-value.js';
import { SIDEBAR_WIDTH } from '../../shared/window-layout.js';
import { StatusBar } from './status-bar.js';
import { useAppState, useController } from './context.js';

/** Follows the language and theme settings (system → the OS). */
function useAppearance() {
  const { i18n } = useTranslation();
  const settings = useAppState((s) => s.settings);
  const language = settings?.language ?? 'system';
  const theme = settings?.theme ?? 'system';
  useEffect(() => {
    const lng = resolveLanguage(language, navigator.languages);
    if (i18n.language !== lng) void i18n.changeLanguage(lng);
    document.documentElement.lang = lng;
  }, [language, i18n]);
  useEffect(() => {
    if (theme === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
  }, [theme]);
}

/** Ctrl/Cmd+O adds files, Ctrl/Cmd+, opens settings, Ctrl/Cmd+F searches disks. */
function useShortcuts() {
  const c = useController();
  const sheetOpen = useAppState((s) => s.sheet !== null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (sheetOpen || !(e.ctrlKey || e.metaKey) || e.altKey) return;
      if (e.key === 'o') {
        e.preventDefault();
        void c.addFiles();
      } else if (e.key === ',') {
        e.preventDefault();
        c.openSheet({ kind: 'settings' });
      } else if (e.key === 'f') {
        const search = document.querySelector<HTMLInputElement>('[data-shortcut="search"]');
        if (search) {
          e.preventDefault();
          search.focus();
        }
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [c, sheetOpen]);
}

/** The whole window. */
export function App({ api }: { readonly api: DiskFerryApi }) {
  const { t } = useTranslation();
  const c = useController();
  const ready = useAppState((s) => s.ready);
  const fatal = useAppState((s) => s.fatal);
  const info = useAppState((s) => s.info);
  const hasEngines = useAppState((s) => s.engines.profiles.length > 0);
  const savedWidth = useAppState((s) => s.settings?.sidebarWidth ?? SIDEBAR_WIDTH.default);
  // The width while the splitter moves; the settings' once it is let go (and when they change).
  const saveWidth = useCallback((w: number) => c.setSettings({ sidebarWidth: w }), [c]);
  const [paneWidth, setPaneWidth, commitPaneWidth] = useEchoedValue(savedWidth, saveWidth);
  const [demoBusy, setDemoBusy] = useState(false);
  useAppearance();
  useShortcuts();

  if (fatal)
    return (
      <main className="fatal" role="alert">
        <h1>{t('fatal.title')}</h1>
        <p>{fatal.message}</p>
      </main>
    );
  if (!ready) return <main className="loading">{t('common.loading')}</main>;
  return (
    <div className="app">
      <Header />
      {hasEngines ? (
        <div className="app-body" style={{ '--sidebar-width': `${paneWidth}px` } as CSSProperties}>
          <Sidebar />
          <Splitter width={paneWidth} onMove={setPaneWidth} onCommit={commitPaneWidth} />
          <main className="main">
            <QueuePane />
            <HistoryPane />
          </main>
        </div>
      ) : (
        <main className="app-body app-body--single">
          <FirstRun
            demoAvailable={info?.demoAvailable ?? false}
            busy={demoBusy}
            onAddEngine={() => c.openSheet({ kind: 'add-engine' })}
            onDemo={() => {
              setDemoBusy(true);
              void c.tryDemo().finally(() => setDemoBusy(false));
            }}
          />
        </main>
      )}
      <StatusBar />
      <Sheets />
      <Notices />
      <DropZone pathForFile={api.files.pathForFile} />
    </div>
  );
}
