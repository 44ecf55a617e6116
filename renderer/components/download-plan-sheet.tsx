/**
 * The download plan: the chosen disks with the file names the template gives, the folder, the
 * name template, raw or qcow2, what to do with existing files, start now or in the window. A disk of
 * a running VM is marked and left out unless the user insists (the engine refuses it while the VM
 * runs), with "Back up VM instead" (a backup reads a running VM's disks), and what the folder's file system can hold (a raw download to exFAT takes the disks' whole
 * size) and its free space. When a start leaves disks out (already in the queue, a file to skip), the sheet stays to
 * say which and why.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorInfo, Result } from '../../shared/errors.js';
import type { AddDownloadsRequest, AddTransfersResult, DiskView, DownloadPlan, ExistingFilePolicy, OutputFormat, ScheduleWindow, Settings, StartMode } from '../../shared/ipc.js';
import { folderNotes } from '../lib/download-folder.js';
import { formatBytes } from '../lib/format.js';
import { previewFileName, unknownPlaceholders } from '../lib/name-preview.js';
import { runningVms, skippedAt } from '../lib/plan-checks.js';
import { OutcomeMark, OutcomeSummary, PlanFooter } from './plan-parts.js';
import { Sheet } from './sheet.js';
import { StartChoice } from './start-choice.js';

/** Props of the sheet. */
export interface DownloadPlanSheetProps {
  readonly disks: readonly DiskView[];
  readonly settings: Settings;
  readonly window: ScheduleWindow | null;
  readonly locale: string;
  readonly nativeDialogs: boolean;
  readonly now: number;
  readonly onChooseFolder: (current: string) => Promise<string | null>;
  /** What the folder's file system can hold and its free space; null when the core cannot tell. */
  readonly onPlanFolder: (folder: string) => Promise<DownloadPlan | null>;
  /** Starts the downloads; `remember` also saves folder, template, format and policy as defaults. */
  readonly onStart: (request: AddDownloadsRequest, remember: boolean) => Promise<Result<AddTransfersResult>>;
  /** "Back up VM instead": the Back up sheet for the running VMs of a disk (by name). */
  readonly onBackUpInstead: (vmNames: readonly string[]) => void;
  readonly onClose: () => void;
}

/** The sheet. */
export function DownloadPlanSheet({ disks, settings, window: schedule, locale, nativeDialogs, now, onChooseFolder, onPlanFolder, onStart, onBackUpInstead, onClose }: DownloadPlanSheetProps) {
  const { t } = useTranslation();
  const [folder, setFolder] = useState(settings.downloadFolder ?? '');
  const [template, setTemplate] = useState(settings.downloadNameTemplate);
  const [format, setFormat] = useState<OutputFormat>(settings.downloadFormat);
  const [existing, setExisting] = useState<ExistingFilePolicy>(settings.existingFilePolicy);
  const [start, setStart] = useState<StartMode>('now');
  const [remember, setRemember] = useState(true);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  /** Disks of running VMs the user chose to download anyway. */
  const [insisted, setInsisted] = useState<ReadonlySet<string>>(new Set());
  /** What the start did, with the disk ids it was asked for (in request order). */
  const [outcome, setOutcome] = useState<{ readonly result: AddTransfersResult; readonly ids: readonly string[] } | null>(null);
  const unknown = unknownPlaceholders(template);
  const included = disks.filter((d) => runningVms(d).length === 0 || insisted.has(d.id));
  const canStart = !busy && !outcome && folder.trim() !== '' && template.trim() !== '' && unknown.length === 0 && included.length > 0;
  const total = included.reduce((sum, d) => sum + (d.provisionedSize ?? 0), 0);
  const insist = (id: string, on: boolean) => setInsisted((s) => (on ? new Set([...s, id]) : new Set([...s].filter((x) => x !== id))));
  const outcomeOf = (id: string) => {
    if (!outcome) return null;
    const index = outcome.ids.indexOf(id);
    return index < 0 ? null : { reason: skippedAt(outcome.result, index) };
  };
  const [folderPlan, setFolderPlan] = useState<DownloadPlan | null>(null);
  useEffect(() => {
    // Asked once typing pauses; an answer for a folder no longer shown is dropped.
    let current = true;
    setFolderPlan(null);
    const dir = folder.trim();
    if (dir === '') return undefined;
    const timer = setTimeout(() => void onPlanFolder(dir).then((p) => current && setFolderPlan(p)), 300);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [folder, onPlanFolder]);
  const notes = folderNotes(folderPlan, format, total);

  const submit = async () => {
    if (!canStart) return;
    setBusy(true);
    const ids = included.map((d) => d.id);
    const r = await onStart({ diskIds: ids, folder: folder.trim(), format, nameTemplate: template.trim(), existing, start }, remember);
    setBusy(false);
    setError(r.ok ? null : r.error);
    if (r.ok) setOutcome({ result: r.value, ids });
  };

  return (
    <Sheet
      title={t('download.title', { count: disks.length })}
      onClose={onClose}
      onSubmit={() => void submit()}
      wide
      testId="download-plan"
      footer={<PlanFooter done={outcome !== null} onClose={onClose} canStart={canStart} startLabel={t('download.start', { count: included.length })} />}
    >
      <div className="field">
        <label htmlFor="download-folder">{t('download.folder')}</label>
        <div className="input-row">
          <input id="download-folder" type="text" className="mono" value={folder} placeholder={t('download.folderPlaceholder')} onChange={(e) => setFolder(e.target.value)} required />
          {nativeDialogs && (
            <button type="button" onClick={() => void onChooseFolder(folder).then((p) => p && setFolder(p))}>
              {t('common.choose')}
            </button>
          )}
        </div>
      </div>
      <div className="field">
        <label htmlFor="download-template">{t('download.template')}</label>
        <input id="download-template" type="text" className="mono" value={template} onChange={(e) => setTemplate(e.target.value)} aria-describedby="download-template-help" />
        <span id="download-template-help" className={unknown.length ? 'error-text small' : 'muted small'}>
          {unknown.length ? t('download.unknownPlaceholder', { names: unknown.map((u) => `{${u}}`).join(', ') }) : t('download.templateHelp')}
        </span>
      </div>
      <table className="dense-table plan-table">
        <thead>
          <tr>
            <th>{t('download.disk')}</th>
            <th className="num">{t('download.size')}</th>
            <th>{t('download.fileName')}</th>
          </tr>
        </thead>
        <tbody>
          {disks.map((d) => {
            const vms = runningVms(d);
            const left = vms.length > 0 && !insisted.has(d.id);
            const done = outcomeOf(d.id);
            return (
              <tr key={d.id} data-testid="plan-row" className={left ? 'row--left-out' : ''}>
                <td className="col-name">
                  {d.name}
                  {vms.length > 0 && (
                    <div className="warn-text small wrap" data-testid="vm-running">
                      {t('vmUp.running', { vms: vms.join(', ') })}
                      <label className="check">
                        <input type="checkbox" checked={!left} disabled={outcome !== null} aria-label={t('vmUp.insistOf', { name: d.name })} onChange={(e) => insist(d.id, e.target.checked)} />
                        {t('vmUp.insist')}
                      </label>
                      <button type="button" className="link small" disabled={outcome !== null} onClick={() => onBackUpInstead(vms)} data-testid="backup-instead">
                        {t('backups.backUpInstead')}
                      </button>
                    </div>
                  )}
                  {done && <OutcomeMark reason={done.reason} />}
                </td>
                <td className="num">{formatBytes(d.provisionedSize, locale)}</td>
                <td className="mono">{previewFileName(template, d, format, now)}</td>
              </tr>
            );
          })}
        </tbody>
        <tfoot>
          <tr>
            <td>{t('download.total')}</td>
            <td className="num">{formatBytes(total, locale)}</td>
            <td />
          </tr>
        </tfoot>
      </table>
      {notes.map((n) => (
        <p key={n.key} className={n.warning ? 'error-text small' : 'muted small'} data-testid="folder-note">
          {t(n.key, { fs: n.fs, size: formatBytes(n.bytes, locale) })}
        </p>
      ))}
      <fieldset className="radio-row">
        <legend>{t('download.format')}</legend>
        {(['raw', 'qcow2'] as const).map((f) => (
          <label key={f}>
            <input type="radio" name="format" checked={format === f} onChange={() => setFormat(f)} />
            {t(`format.${f}`)}
          </label>
        ))}
      </fieldset>
      <label className="field">
        <span>{t('download.existing')}</span>
        <select value={existing} onChange={(e) => setExisting(e.target.value as ExistingFilePolicy)}>
          <option value="rename">{t('existing.rename')}</option>
          <option value="overwrite">{t('existing.overwrite')}</option>
          <option value="skip">{t('existing.skip')}</option>
        </select>
        <span className="muted small">{t('download.partNote')}</span>
      </label>
      <StartChoice value={start} window={schedule} onChange={setStart} />
      <label className="check">
        <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
        {t('download.remember')}
      </label>
      {outcome && <OutcomeSummary result={outcome.result} />}
      {error && (
        <p className="error-text" role="alert">
          {error.message}
        </p>
      )}
    </Sheet>
  );
}
