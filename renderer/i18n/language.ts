/**
 * Which language the window speaks: the user's choice, else the OS locale (navigator.language),
 * else English. And which locale Intl formats with. Pure; tested.
 */

import { hourCycleOf, withHourCycle } from '../lib/format.js';

/** Languages with a full translation. */
export const LANGUAGES = ['en', 'ja'] as const;
export type Language = (typeof LANGUAGES)[number];

/** The language for a setting (`system` follows the OS) and the OS's preferred locales. */
export function resolveLanguage(setting: 'system' | Language, osLocales: readonly string[]): Language {
  if (setting !== 'system') return setting;
  for (const locale of osLocales) {
    const primary = locale.toLowerCase().split(/[-_]/)[0];
    const match = LANGUAGES.find((l) => l === primary);
    if (match) return match;
  }
  return 'en';
}

/**
 * The Intl locale: the OS locale when it is a variant of the language shown (en-GB keeps its
 * day-month dates), else the bare language.
 */
export function intlLocale(language: Language, osLocales: readonly string[]): string {
  const variant = osLocales.find((l) => l.toLowerCase().split(/[-_]/)[0] === language);
  return variant ?? language;
}

/**
 * The locale the window formats in: `intlLocale` with the hour cycle of the system's own locale, so
 * times read 22:00 or 10:00 PM as the system does, in English and in Japanese alike.
 */
export function displayLocale(language: Language, osLocales: readonly string[]): string {
  return withHourCycle(intlLocale(language, osLocales), hourCycleOf(osLocales[0]));
}
