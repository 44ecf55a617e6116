/**
 * An error from main in the window's language. Main writes its sentences in English (also for the
 * CLI and the logs) and gives each a code: in English the sentence is shown as it is; in another
 * language the code's translated explanation is shown, and the engine's own words, when it said
 * any, beside it as the engine's (never translated: they are what the engine's logs and events say).
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
  const ours = t(error.diskLocked ? 'error.diskLocked' : `error.${error.code}`);
  return error.engineText ? `${ours} ${t('error.engineSaid', { text: error.engineText })}` : ours;
}
