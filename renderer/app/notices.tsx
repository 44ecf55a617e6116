/**
 * Notices at the bottom right: action errors and notes. One polite live region announces them; the
 * same notice again counts up on the one shown ("×3") instead of piling up; each has a close button,
 * and Escape closes the newest (or the focused one) while no sheet is open and no field has the
 * focus. Errors stay until closed, notes go after a few seconds.
 */
import { useEffect, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Icon } from '../components/icon.js';
import { errorReason } from '../lib/error-text.js';
import { useAppState, useController } from './context.js';

/** How long an informational notice stays. */
const INFO_MS = 8000;

/**
 * Whether Escape pressed here belongs to the notices (not to a field, a menu or a sheet). A list
 * that uses Escape itself (the queue clears its selection) marks the event handled first.
 */
function escapeIsOurs(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return true;
  if (target.closest('.notices')) return true;
  if (target === document.body) return true;
  return !target.closest('input, textarea, select, dialog, [role="menu"], [contenteditable="true"]');
}

/** The notices container. */
export function Notices() {
  const { t, i18n } = useTranslation();
  const c = useController();
  const notices = useAppState((s) => s.notices);
  const sheetOpen = useAppState((s) => s.sheet !== null);
  useEffect(() => {
    const timers = notices.filter((n) => n.tone === 'info').map((n) => setTimeout(() => c.dismissNotice(n.id), INFO_MS));
    return () => timers.forEach(clearTimeout);
  }, [notices, c]);
  const newest = notices[notices.length - 1];
  useEffect(() => {
    if (!newest || sheetOpen) return undefined;
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented || !escapeIsOurs(e.target)) return;
      e.preventDefault();
      c.dismissNotice(newest.id);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [newest, sheetOpen, c]);
  // Escape on a focused notice closes that one (handled before the document's listener above).
  const onNoticeKey = (id: number) => (e: KeyboardEvent) => {
    if (e.key !== 'Escape') return;
    e.preventDefault();
    e.nativeEvent.preventDefault();
    c.dismissNotice(id);
  };
  return (
    <div className="notices" role="region" aria-label={t('notices.label')} aria-live="polite" aria-relevant="additions text">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice--${n.tone}`} data-testid="notice" data-tone={n.tone} onKeyDown={onNoticeKey(n.id)}>
          <span className="notice__text">
            {n.tone === 'error' && <span className="visually-hidden">{t('notices.error')} </span>}
            {n.translate ? t(n.text, { ...n.params, ...(n.error ? { reason: errorReason(n.error, t, i18n.language) } : {}) }) : n.error ? errorReason(n.error, t, i18n.language) : n.text}
          </span>
          {n.count > 1 && (
            <span className="notice__count" data-testid="notice-count" aria-label={t('notices.times', { count: n.count })}>
              ×{n.count}
            </span>
          )}
          <button type="button" className="icon" aria-label={t('common.dismiss')} title={t('notices.closeHelp')} onClick={() => c.dismissNotice(n.id)}>
            <Icon name="cancel" size={12} />
          </button>
        </div>
      ))}
    </div>
  );
}
