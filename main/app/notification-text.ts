/**
 * The desktop notification titles, in the window's language: the setting, or the OS locale when it
 * follows the system. The body is the transfer's name (and the error, which comes from the engine
 * or the transfer code in English).
 */
import type { Settings, TransferDirection, TransferState } from '../../shared/ipc.js';

type Language = 'en' | 'ja';
type Ending = 'completed' | 'failed' | 'cancelled';

const TITLES: { readonly [L in Language]: { readonly [D in TransferDirection]: { readonly [E in Ending]: string } } } = {
  en: {
    upload: { completed: 'Upload finished', failed: 'Upload failed', cancelled: 'Upload was cancelled' },
    download: { completed: 'Download finished', failed: 'Download failed', cancelled: 'Download was cancelled' },
  },
  ja: {
    upload: { completed: 'アップロードが完了しました', failed: 'アップロードに失敗しました', cancelled: 'アップロードを取り消しました' },
    download: { completed: 'ダウンロードが完了しました', failed: 'ダウンロードに失敗しました', cancelled: 'ダウンロードを取り消しました' },
  },
};

/** The language notifications use: the setting, else the OS locale (Japanese for `ja*`), else English. */
export function notificationLanguage(setting: Settings['language'], osLocale: string | undefined): Language {
  if (setting !== 'system') return setting;
  return osLocale?.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

/** The title for a transfer that reached `state`; null for a state that is not an ending. */
export function notificationTitle(direction: TransferDirection, state: TransferState, language: Language): string | null {
  return state === 'completed' || state === 'failed' || state === 'cancelled' ? TITLES[language][direction][state] : null;
}
