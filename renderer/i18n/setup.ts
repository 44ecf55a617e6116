/**
 * The i18next instance of the window: English and Japanese resources bundled (no loading), React
 * binding, no HTML escaping (React escapes). One instance per window, made in main.tsx.
 */
import i18next, { type i18n as I18n } from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en.js';
import { ja } from './ja.js';
import { formatBytes, formatTimeOfDay } from '../lib/format.js';
import { displayLocale, LANGUAGES, type Language } from './language.js';

/**
 * Creates and initialises the instance in `language`. A time of day in a sentence is written
 * `{{start, timeOfDay}}` and formatted by `formatTimeOfDay` in the display locale (the system's hour
 * cycle), as the window's own time fields are; a size is `{{size, bytes}}` (formatBytes).
 */
export async function createI18n(language: Language, osLocales: readonly string[]): Promise<I18n> {
  const instance = i18next.createInstance();
  await instance.use(initReactI18next).init({
    lng: language,
    fallbackLng: 'en',
    supportedLngs: [...LANGUAGES],
    resources: { en: { translation: en }, ja: { translation: ja } },
    interpolation: { escapeValue: false },
    returnNull: false,
    showSupportNotice: false,
  });
  instance.services.formatter?.add('timeOfDay', (value: unknown, lng: string | undefined) =>
    formatTimeOfDay(String(value), displayLocale(lng === 'ja' ? 'ja' : 'en', osLocales)),
  );
  instance.services.formatter?.add('bytes', (value: unknown, lng: string | undefined) =>
    formatBytes(typeof value === 'number' ? value : null, displayLocale(lng === 'ja' ? 'ja' : 'en', osLocales)),
  );
  return instance;
}
