/**
 * The window's entry: find the API, pick the language (the saved choice, else the OS), create the
 * store and controller, render. Nothing here reads the network or the disk.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nextProvider } from 'react-i18next';
import { App } from './app/app.js';
import { ControllerContext, StoreContext } from './app/context.js';
import { resolveLanguage } from './i18n/language.js';
import { createI18n } from './i18n/setup.js';
import { findApi } from './lib/api.js';
import { pageFreshnessEnv } from './lib/page-freshness-env.js';
import { INITIAL_STATE } from './state/app-state.js';
import { createController } from './state/controller.js';
import { createStore } from './state/store.js';
import './styles/app.css';

async function boot(): Promise<void> {
  const rootElement = document.getElementById('root');
  if (!rootElement) throw new Error('index.html has no #root');
  const api = findApi();
  const settings = api ? await api.settings.get() : null;
  const language = resolveLanguage(settings?.ok ? settings.value.language : 'system', navigator.languages);
  const i18n = await createI18n(language, navigator.languages);
  document.documentElement.lang = language;
  if (!api) {
    rootElement.textContent = i18n.t('fatal.noApi');
    return;
  }
  const store = createStore(INITIAL_STATE);
  const controller = createController(api, store, pageFreshnessEnv());
  createRoot(rootElement).render(
    <StrictMode>
      <I18nextProvider i18n={i18n}>
        <StoreContext.Provider value={store}>
          <ControllerContext.Provider value={controller}>
            <App api={api} />
          </ControllerContext.Provider>
        </StoreContext.Provider>
      </I18nextProvider>
    </StrictMode>,
  );
  await controller.start();
}

void boot();
