/**
 * An error from main in the window's language. Main writes its sentences in English (also for the
 * CLI and the logs) and gives each a code: in English the sentence is shown as it is; in another
 * language the code's translated explanation is shown, and the engine's own words, when it said
 * any, beside it as the engine's (never translated: they are what the engine's logs and events say).
 * The error's subject (a disk, a storage domain, a file…) and the space it needs are named in the
 * translated sentence as in the English one.
 * Pure: the translate function and the language are parameters; tested.
 */
import type { ErrorInfo } from '../../shared/errors.js';

/** The translate function's shape (i18next's `t`). */
export type Translate = (key: string, params?: Record<string, unknown>) => string;

/** The reason of an error in words of `language`. */
export function errorReason(error: ErrorInfo | null, t: Translate, language: string): string {
  if (!error) return '';
  if (language === 'en') return error.message;
  // A refusal because the disk is locked has words of its own (the window offers the disk's transfers).
  // What the English sentence names (the disk, the domain, the file) and the space it needs are
  // said in the translation too: the code's sentence about its subject, then the size.
  const parts = [
    error.diskLocked
      ? t('error.diskLocked')
      : error.subject
        ? t(`errorAbout.${error.code}`, { subject: t(`subject.${error.subject.kind}`, { name: error.subject.name }) })
        : t(`error.${error.code}`),
  ];
  if (error.needed !== undefined) parts.push(t('error.needed', { size: error.needed }));
  if (error.engineText) parts.push(t('error.engineSaid', { text: error.engineText }));
  return parts.join(' ');
}
