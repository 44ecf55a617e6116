/** The connection state of the selected engine: a dot and words, the version when connected. */
import { useTranslation } from 'react-i18next';
import type { EngineProfileView } from '../../shared/ipc.js';
import { connectionKey, connectionTone } from '../lib/engine-text.js';
import { StatusDot } from './status-dot.js';

/** Props of the badge. */
export interface ConnectionBadgeProps {
  readonly profile: EngineProfileView | null;
}

/** The connection badge. */
export function ConnectionBadge({ profile }: ConnectionBadgeProps) {
  const { t } = useTranslation();
  if (!profile) return null;
  const words = t(connectionKey(profile.status));
  return (
    <span className="connection" data-testid="connection" data-status={profile.status} title={profile.error?.message ?? profile.engineUrl}>
      <StatusDot tone={connectionTone(profile.status)} label={words} />
      <span>{words}</span>
      {profile.engineVersion && <span className="muted">{t('header.version', { version: profile.engineVersion })}</span>}
      {profile.demo && <span className="tag">{t('header.demo')}</span>}
    </span>
  );
}
