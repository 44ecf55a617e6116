/** Notices at the bottom right: action errors and notes, each dismissable; errors stay until dismissed. */
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Icon } from '../components/icon.js';
import { errorReason } from '../lib/error-text.js';
import { useAppState, useController } from './context.js';

/** How long an informational notice stays. */
const INFO_MS = 8000;

/** The notices container. */
export function Notices() {
  const { t, i18n } = useTranslation();
  const c = useController();
  const notices = useAppState((s) => s.notices);
  useEffect(() => {
    const timers = notices.filter((n) => n.tone === 'info').map((n) => setTimeout(() => c.dismissNotice(n.id), INFO_MS));
    return () => timers.forEach(clearTimeout);
  }, [notices, c]);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice--${n.tone}`} role={n.tone === 'error' ? 'alert' : 'status'}>
          <span>{n.translate ? t(n.text, { ...n.params, ...(n.error ? { reason: errorReason(n.error, t, i18n.language) } : {}) }) : n.error ? errorReason(n.error, t, i18n.language) : n.text}</span>
          <button type="button" className="icon" aria-label={t('common.dismiss')} onClick={() => c.dismissNotice(n.id)}>
            <Icon name="cancel" size={12} />
          </button>
        </div>
      ))}
    </div>
  );
}
