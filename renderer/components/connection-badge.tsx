/**
 * The connection state of the selected engine: a dot and words, the version when connected. An
 * engine that stopped answering is not "connected": the badge says that DiskFerry waits, and since when.
 */
import { useTranslation } from 'react-i18next';
import type { EngineProfileView } from '../../shared/ipc.js';
import { formatTime } from '../lib/format.js';
import { connectionKey, connectionTone } from '../lib/engine-text.js';
import { StatusDot } from './status-dot.js';

/** Props of the badge. */
export interface ConnectionBadgeProps {
  readonly profile: EngineProfileView | null;
  readonly locale: string;
}

/** The connection badge. */
export function ConnectionBadge({ profile, locale }: ConnectionBadgeProps) {
  const { t } = useTranslation();
  if (!profile) return null;
  const away = profile.status === 'connected' ? profile.away : null;
  const since = away ? formatTime(away.since, locale) : '';
  const words = away ? t('connection.away', { since }) : t(connectionKey(profile.status));
  const title = away ? t('connection.awayHelp', { since, reason: away.error.message }) : (profile.error?.message ?? profile.engineUrl);
  return (
    <span className="connection" data-testid="connection" data-status={away ? 'away' : profile.status} title={title}>
      <StatusDot tone={away ? 'warn' : connectionTone(profile.status)} label={words} />
      <span>{words}</span>
      {profile.engineVersion && !away && <span className="muted">{t('header.version', { version: profile.engineVersion })}</span>}
      {profile.demo && <span className="tag">{t('header.demo')}</span>}
    </span>
  );
}
