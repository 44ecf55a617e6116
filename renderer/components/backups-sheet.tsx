/**
 * "Backups…": the runs of a backup folder per VM, as main read them — time, kind, the run it builds
 * on and the chain's full run, each disk with its size, the data fetched and whether it was checked
 * against the engine, the run's notes; an unfinished or damaged run says so and why. Restore… on a
 * finished run, or on one disk of it. `filter` shows one VM (by id, else by name) for a VM list.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorInfo } from '../../shared/errors.js';
import type { BackupHistory, BackupRunView } from '../../shared/ipc.js';
import { filterVms, type BackupsFilter } from '../lib/backup-filter.js';
import { errorReason } from '../lib/error-text.js';
import { formatBytes, formatDateTime } from '../lib/format.js';
import { Sheet } from './sheet.js';

/** Props of the sheet. */
export interface BackupsSheetProps {
  readonly history: BackupHistory | null;
  readonly loading: boolean;
  readonly error: ErrorInfo | null;
  readonly filter: BackupsFilter;
  readonly locale: string;
  readonly nativeDialogs: boolean;
  readonly onRead: (folder: string) => void;
  readonly onChooseFolder: (current: string) => Promise<string | null>;
  readonly onShowAll: () => void;
  /** Restore… of a run (`diskId` null) or of one of its disks. */
  readonly onRestore: (run: BackupRunView, diskId: string | null) => void;
  readonly onClose: () => void;
}

/** The sheet. */
export function BackupsSheet(props: BackupsSheetProps) {
  const { history, loading, error, filter, locale, onClose } = props;
  const { t, i18n } = useTranslation();
  const [folder, setFolder] = useState(history?.folder ?? '');
  const [edited, setEdited] = useState(false);
  const shownFolder = edited ? folder : (history?.folder ?? folder);
  const filtered = filter.vmId !== null || filter.vmName !== null;
  const vmLabel = filter.vmName ?? history?.vms.find((v) => v.vmId === filter.vmId)?.vmName ?? filter.vmId ?? '';
  const vms = history ? filterVms(history.vms, filter) : [];
  const read = () => shownFolder.trim() !== '' && props.onRead(shownFolder.trim());
  return (
    <Sheet
      title={filtered ? t('backups.historyTitleVm', { vm: vmLabel }) : t('backups.historyTitle')}
      onClose={onClose}
      onSubmit={read}
      wide
      testId="backups"
      footer={
        <>
          {filtered && (
            <button type="button" onClick={props.onShowAll}>
              {t('backups.showAll')}
            </button>
          )}
          <button type="button" onClick={onClose}>
            {t('common.close')}
          </button>
        </>
      }
    >
      <label className="field">
        <span>{t('backups.folder')}</span>
        <span className="input-row">
          <input
            type="text"
            className="mono"
            value={shownFolder}
            onChange={(e) => {
              setEdited(true);
              setFolder(e.target.value);
            }}
            data-testid="backups-folder"
          />
          {props.nativeDialogs && (
            <button
              type="button"
              onClick={() =>
                void props.onChooseFolder(shownFolder).then((p) => {
                  if (!p) return;
                  setEdited(true);
                  setFolder(p);
                  props.onRead(p);
                })
              }
            >
              {t('common.choose')}
            </button>
          )}
          <button type="submit" disabled={loading || shownFolder.trim() === ''}>
            {t('backups.read')}
          </button>
        </span>
        <span className="muted small">{t('backups.rememberNote')}</span>
      </label>
      {error && (
        <p className="error-text wrap" role="alert">
          {errorReason(error, t, i18n.language)}
        </p>
      )}
      {loading && <p className="muted">{t('backups.loading')}</p>}
      {!loading && history?.folder === null && !error && <p className="muted">{t('backups.noFolder')}</p>}
      {!loading && history?.folder && vms.length === 0 && <p className="muted">{filtered ? t('backups.emptyVm', { vm: vmLabel }) : t('backups.empty')}</p>}
      <div className="backups" data-testid="backup-vms">
        {vms.map((vm) => (
          <section key={vm.path} className="backups__vm" data-testid="backup-vm" data-vm={vm.vmName}>
            <h3>
              {t('backups.vmHeading', { vm: vm.vmName })} <span className="muted small">{t('backups.runs', { count: vm.runs.length })}</span>
            </h3>
            <ul className="backups__runs">
              {[...vm.runs].reverse().map((run) => (
                <RunItem key={run.path} run={run} locale={locale} onRestore={props.onRestore} />
              ))}
            </ul>
          </section>
        ))}
      </div>
    </Sheet>
  );
}

/** One run: its line, its disks, its notes or its problem. */
function RunItem({ run, locale, onRestore }: { readonly run: BackupRunView; readonly locale: string; readonly onRestore: BackupsSheetProps['onRestore'] }) {
  const { t } = useTranslation();
  const tone = run.state === 'finished' ? '' : run.state === 'damaged' ? ' backups__run--damaged' : ' backups__run--unfinished';
  return (
    <li className={`backups__run${tone}`} data-testid="backup-run" data-run={run.name} data-state={run.state}>
      <div className="backups__line">
        <strong>{formatDateTime(run.startedAt, locale)}</strong>
        <span className={`badge badge--${run.kind}`}>{t(`backups.kind.${run.kind}`)}</span>
        {run.state !== 'finished' && <span className="badge badge--warn">{t(`backups.state.${run.state}`)}</span>}
        {run.parentRun !== null && <span className="muted small">{t('backups.buildsOn', { run: run.parentRun })}</span>}
        {run.chainRoot !== null && run.chainRoot !== run.parentRun && <span className="muted small">{t('backups.chainOf', { run: run.chainRoot })}</span>}
        <span className="spacer" />
        {run.restorable && (
          <button type="button" onClick={() => onRestore(run, null)} data-testid="restore-run">
            {t('backups.restore')}
          </button>
        )}
      </div>
      {run.problem && <p className="warn-text small wrap">{run.problem}</p>}
      {run.disks.length > 0 && (
        <ul className="backups__disks">
          {run.disks.map((d) => (
            <li key={d.id} className="backups__disk" data-testid="backup-disk">
              <span>{t('backups.diskLine', { disk: d.alias, size: formatBytes(d.virtualSize, locale), data: formatBytes(d.dataBytes, locale) })}</span>
              <span className={d.missing ? 'error-text small' : d.verified ? 'ok-text small' : 'muted small'}>{d.missing ? t('backups.missing') : d.verified ? t('backups.verified') : t('backups.notVerified')}</span>
              {run.restorable && run.disks.length > 1 && (
                <button type="button" className="link" onClick={() => onRestore(run, d.id)}>
                  {t('backups.restoreDisk')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {run.notes.length > 0 && (
        <ul className="backups__notes muted small">
          {run.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </li>
  );
}
