/**
 * The heading of the left pane's lower list (disks, or virtual machines): its title (kept for screen
 * readers when the Disks / Virtual machines switch stands in its place), the switch, Backups… and
 * Refresh.
 */
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

/** Props of the heading. */
export interface PaneHeadProps {
  /** The heading's id, which the section is labelled by. */
  readonly id: string;
  readonly title: string;
  /** Shown in the title's place (the title stays for screen readers). */
  readonly switcher?: ReactNode;
  /** Opens the backup history; absent = no button. */
  readonly onBackups?: () => void;
  readonly backupsTestId: string;
  readonly onRefresh: () => void;
  readonly loading: boolean;
}

/** See the file comment. */
export function PaneHead({ id, title, switcher, onBackups, backupsTestId, onRefresh, loading }: PaneHeadProps) {
  const { t } = useTranslation();
  return (
    <div className="pane-section__head">
      <h2 id={id} className={switcher ? 'visually-hidden' : undefined}>
        {title}
      </h2>
      {switcher}
      <span className="pane-section__actions">
        {onBackups && (
          <button type="button" className="link" onClick={onBackups} title={t('backups.buttonHelp')} data-testid={backupsTestId}>
            {t('backups.button')}
          </button>
        )}
        <button type="button" className="link" onClick={onRefresh} disabled={loading}>
          {loading ? t('sidebar.loading') : t('sidebar.refresh')}
        </button>
      </span>
    </div>
  );
}
