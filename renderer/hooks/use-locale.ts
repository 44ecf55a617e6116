/** The Intl locale for the language shown (see i18n/language.ts). */
import { useTranslation } from 'react-i18next';
import { displayLocale, type Language } from '../i18n/language.js';

/** The locale sizes, numbers and dates are formatted in, with the system's hour cycle. */
export function useLocale(): string {
  const { i18n } = useTranslation();
  const language: Language = i18n.language === 'ja' ? 'ja' : 'en';
  return displayLocale(language, navigator.languages);
}
