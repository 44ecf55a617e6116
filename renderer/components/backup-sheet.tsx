/**
 * "Back up…": full, incremental or auto (the default), through a snapshot (shown, and forced with
 * why on engines without checkpoints), the backup folder (remembered per engine), keep N full
 * chains, start now or in the window. Main plans each VM — its disks and sizes, the kind of run and
 * why, or why it cannot be backed up — every time a choice changes; the sheet decides nothing itself
 * and starts only the VMs the plan accepts.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorInfo, Result } from '../../shared/errors.js';
import type { AddBackupsRequest, AddTransfersResult, BackupMode, BackupPlan, BackupPlanItem, BackupPlanRequest, ScheduleWindow, StartMode, VmView } from '../../shared/ipc.js';
import { errorReason } from '../lib/error-text.js';
import { formatBytes } from '../lib/format.js';
import { OutcomeSummary, PlanFooter } from './plan-parts.js';
import { Sheet } from './sheet.js';
import { StartChoice } from './start-choice.js';

/** Props of the sheet. */
export interface BackupSheetProps {
  readonly vmIds: readonly string[];
  /** The VM list as read (names before the plan comes). */
  readonly vms: readonly VmView[];
  /** The engine's remembered backup folder. */
  readonly folder: string | null;
  readonly window: ScheduleWindow | null;
  readonly locale: string;
  readonly nativeDialogs: boolean;
  readonly onChooseFolder: (current: string) => Promise<string | null>;
  readonly onPlan: (request: BackupPlanRequest) => Promise<Result<BackupPlan>>;
  readonly onStart: (request: AddBackupsRequest) => Promise<Result<AddTransfersResult>>;
  readonly onClose: () => void;
}

const MODES: readonly BackupMode[] = ['auto', 'full', 'incremental'];
const MODE_KEYS = { auto: 'backups.modeAuto', full: 'backups.modeFull', incremental: 'backups.modeIncremental' } as const;

/** The sheet. */
export function BackupSheet({ vmIds, vms, folder: remembered, window: schedule, locale, nativeDialogs, onChooseFolder, onPlan, onStart, onClose }: BackupSheetProps) {
  const { t, i18n } = useTranslation();
  const [mode, setMode] = useState<BackupMode>('auto');
  const [snapshot, setSnapshot] = useState(false);
  const [folder, setFolder] = useState(remembered ?? '');
  const [keepOn, setKeepOn] = useState(false);
  const [keep, setKeep] = useState(7);
  const [start, setStart] = useState<StartMode>('now');
  /** The plan of the choices it was asked with (an answer for older choices is dropped). */
  const [plan, setPlan] = useState<{ readonly key: string; readonly plan: BackupPlan } | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<AddTransfersResult | null>(null);
  const dir = folder.trim();
  const key = JSON.stringify([vmIds, dir, mode, snapshot]);
  const current = plan?.key === key ? plan.plan : null;

  useEffect(() => {
    let live = true;
    setError(null);
    if (dir === '') return undefined;
    // Asked once typing pauses.
    const timer = setTimeout(
      () =>
        void onPlan({ vmIds: [...vmIds], folder: dir, mode, snapshot }).then((r) => {
          if (!live) return;
          if (r.ok) setPlan({ key, plan: r.value });
          else setError(r.error);
        }),
      300,
    );
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key, dir, mode, snapshot, vmIds, onPlan]);

  const accepted = current?.items.filter((i) => i.refusal === null) ?? [];
  const canStart = !busy && outcome === null && current !== null && accepted.length > 0 && (!keepOn || (Number.isInteger(keep) && keep >= 1));
  const sizeOf = (i: BackupPlanItem) => i.disks.reduce((s, d) => s + (d.size ?? 0), 0);
  const total = accepted.reduce((s, i) => s + sizeOf(i), 0);
  const rows: readonly BackupPlanItem[] = current?.items ?? vmIds.map((id) => blankItem(id, vms.find((v) => v.id === id)));
  const refusalText = (i: BackupPlanItem) => (i18n.language === 'en' || !i.refusal ? errorReason(i.error, t, i18n.language) : t(`backups.refusal.${i.refusal}`));

  const submit = async () => {
    if (!canStart || !current) return;
    setBusy(true);
    const r = await onStart({ vmIds: accepted.map((i) => i.vmId), folder: dir, mode, snapshot: current.snapshot, keep: keepOn ? keep : null, start });
    setBusy(false);
    if (r.ok) setOutcome(r.value);
    else setError(r.error);
  };

  return (
    <Sheet
      title={t('backups.title', { count: vmIds.length })}
      onClose={onClose}
      onSubmit={() => void submit()}
      wide
      testId="backup-sheet"
      footer={<PlanFooter done={outcome !== null} onClose={onClose} canStart={canStart} startLabel={t('backups.start', { count: accepted.length })} startTestId="backup-start" />}
    >
      <fieldset className="radio-col">
        <legend>{t('backups.mode')}</legend>
        {MODES.map((m) => (
          <label key={m}>
            <input type="radio" name="backup-mode" value={m} checked={mode === m} onChange={() => setMode(m)} />
            {t(MODE_KEYS[m])}
          </label>
        ))}
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={current?.snapshotForced ? true : snapshot} disabled={current?.snapshotForced ?? false} onChange={(e) => setSnapshot(e.target.checked)} data-testid="backup-snapshot" />
        {t('backups.snapshot')}
      </label>
      <p className={current?.snapshotForced ? 'warn-text small' : 'muted small'} data-testid="backup-snapshot-note">
        {current?.snapshotForced ? t('backups.snapshotForced', { version: current.engineVersion }) : t('backups.snapshotHelp')}
      </p>
      <div className="field">
        <label htmlFor="backup-folder">{t('backups.folder')}</label>
        <div className="input-row">
          <input id="backup-folder" type="text" className="mono" value={folder} placeholder={t('backups.folderPlaceholder')} onChange={(e) => setFolder(e.target.value)} required />
          {nativeDialogs && (
            <button type="button" onClick={() => void onChooseFolder(folder).then((p) => p && setFolder(p))}>
              {t('common.choose')}
            </button>
          )}
        </div>
        <span className="muted small">{t('backups.folderHelp')}</span>
      </div>
      <table className="dense-table plan-table" data-testid="backup-plan">
        <thead>
          <tr>
            <th>{t('backups.vm')}</th>
            <th>{t('backups.disks')}</th>
            <th className="num">{t('backups.size')}</th>
            <th>{t('backups.kindCol')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((i) => (
            <tr key={i.vmId} data-testid="backup-plan-row" data-vm={i.vmName} className={i.refusal ? 'row--refused' : ''}>
              <td className="col-name">
                {i.vmName}
                {i.status && <div className="muted small">{t(`backups.status.${i.status}`, { defaultValue: i.status })}</div>}
              </td>
              <td className="small">
                {i.disks.map((d) => (
                  <div key={d.id}>
                    {d.name} <span className="muted">({formatBytes(d.size, locale)})</span>
                  </div>
                ))}
                {i.skipped.length > 0 && <div className="warn-text wrap">{t('backups.skipped', { names: i.skipped.join(', ') })}</div>}
              </td>
              <td className="num">{formatBytes(sizeOf(i), locale)}</td>
              <td data-testid="backup-plan-kind" data-kind={i.kind ?? undefined}>
                {current === null ? (
                  <span className="muted">{dir === '' ? '—' : t('backups.planning')}</span>
                ) : i.kind ? (
                  <>
                    <strong>{t(`backups.kind.${i.kind}`)}</strong>
                    {i.reason && <div className="muted small">{t(`backups.reason.${i.reason}`, { run: i.parentRun ?? '' })}</div>}
                  </>
                ) : (
                  <span className="error-text small wrap" data-testid="backup-refusal" data-refusal={i.refusal ?? undefined}>
                    {refusalText(i)}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <td>{t('backups.total')}</td>
            <td />
            <td className="num">{formatBytes(total, locale)}</td>
            <td />
          </tr>
        </tfoot>
      </table>
      <div className="field">
        <label className="check">
          <input type="checkbox" checked={keepOn} onChange={(e) => setKeepOn(e.target.checked)} />
          {t('backups.keep')}
        </label>
        {keepOn && (
          <label className="inline-field">
            {t('backups.keepCount')}{' '}
            <input type="number" min={1} max={1000} step={1} value={keep} onChange={(e) => setKeep(e.target.valueAsNumber)} className="narrow" />
          </label>
        )}
        <span className="muted small">{t('backups.keepHelp')}</span>
      </div>
      <StartChoice value={start} window={schedule} onChange={setStart} />
      {outcome && <OutcomeSummary result={outcome} />}
      {error && (
        <p className="error-text" role="alert">
          {errorReason(error, t, i18n.language)}
        </p>
      )}
    </Sheet>
  );
}

/** A VM's row before its plan came. */
function blankItem(id: string, vm: VmView | undefined): BackupPlanItem {
  return {
    vmId: id,
    vmName: vm?.name ?? id,
    status: vm?.status ?? null,
    disks: vm?.disks.filter((d) => d.backupable).map((d) => ({ id: d.id, name: d.name, size: d.provisionedSize })) ?? [],
    skipped: [],
    kind: null,
    reason: null,
    parentRun: null,
    refusal: null,
    error: null,
  };
}
