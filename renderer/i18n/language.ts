/**
 * Which language the window speaks: the user's choice, else the OS locale (navigator.language),
 * else English. And which locale Intl formats with. Pure; tested.
 */

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
