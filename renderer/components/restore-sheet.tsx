/**
 * "Restore…" of a backup run (or of one disk of it): the storage domain (the upload plan's picker and
 * its space rule: each disk's room, measured by main, against the domain's), each new disk's name
 * (default from the run) and format, the VM to attach to (the backup's by default, another by name, or
 * none), start now or in the window. Queued as restore jobs; a refusal stays in view with what to do.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorInfo, Result } from '../../shared/errors.js';
import type { AddTransfersResult, DiskFormat, RestorePlanView, RestoreRequest, ScheduleWindow, StartMode, StorageDomainView } from '../../shared/ipc.js';
import { useNameCounts, type CountNames } from '../hooks/use-name-counts.js';
import { defaultUploadTarget } from '../lib/engine-text.js';
import { errorReason } from '../lib/error-text.js';
import { formatBytes, formatDateTime } from '../lib/format.js';
import { spaceVerdict } from '../lib/plan-checks.js';
import { DomainSelect, OutcomeSummary, SameNameNote, SpaceNote } from './plan-parts.js';
import { Sheet } from './sheet.js';
import { StartChoice } from './start-choice.js';

/** Props of the sheet. */
export interface RestoreSheetProps {
  readonly plan: RestorePlanView;
  readonly domains: readonly StorageDomainView[];
  readonly window: ScheduleWindow | null;
  readonly locale: string;
  readonly onStart: (request: RestoreRequest) => Promise<Result<AddTransfersResult>>;
  /** How many disks the engine has with a name (the same-name warning). */
  readonly onCountNames?: CountNames;
  readonly onBack: () => void;
  readonly onClose: () => void;
}

type AttachChoice = 'source' | 'vm' | 'none';

/** The sheet. */
export function RestoreSheet({ plan, domains, window, locale, onStart, onCountNames, onBack, onClose }: RestoreSheetProps) {
  const { t, i18n } = useTranslation();
  const remembered = domains.find((d) => d.id === plan.storageDomainId && d.acceptsUploads);
  const [domainId, setDomainId] = useState(remembered?.id ?? defaultUploadTarget(domains)?.id ?? '');
  const [rows, setRows] = useState(plan.items.map((i) => ({ diskName: i.diskName, diskFormat: i.diskFormat as DiskFormat })));
  const [attach, setAttach] = useState<AttachChoice>(plan.vmPresent ? 'source' : 'none');
  const [vmName, setVmName] = useState('');
  const [start, setStart] = useState<StartMode>('now');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<AddTransfersResult | null>(null);
  const domain = domains.find((d) => d.id === domainId) ?? null;
  const single = plan.items.length === 1 && plan.items[0];
  const runTime = formatDateTime(plan.startedAt, locale);
  const title = single ? t('backups.restoreTitleDisk', { disk: single.alias, run: runTime }) : t('backups.restoreTitle', { run: runTime, vm: plan.vm.name });
  const names = rows.map((r) => r.diskName.trim());
  const counts = useNameCounts(names, new Map(), onCountNames);
  const ready = domain?.acceptsUploads === true && names.every((n) => n !== '') && (attach !== 'vm' || vmName.trim() !== '');

  const submit = async () => {
    if (busy || !ready || !domain) return;
    setBusy(true);
    setError(null);
    const r = await onStart({
      run: plan.run,
      storageDomainId: domain.id,
      items: plan.items.map((item, i) => ({ backupDiskId: item.backupDiskId, diskName: names[i]!, diskFormat: rows[i]!.diskFormat })),
      attach: attach === 'vm' ? { kind: 'vm', name: vmName.trim() } : { kind: attach },
      start,
    });
    setBusy(false);
    if (r.ok) setOutcome(r.value);
    else setError(r.error);
  };

  return (
    <Sheet
      title={title}
      onClose={onClose}
      onSubmit={() => void submit()}
      wide
      testId="restore"
      footer={
        <>
          <button type="button" onClick={onBack}>
            {t('backups.back')}
          </button>
          <button type="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="primary" disabled={busy || !ready || outcome !== null}>
            {t('backups.restoreStart')}
          </button>
        </>
      }
    >
      <p className="muted small wrap">{t('backups.restoreExplain')}</p>
      <label className="field">
        <span>{t('upload.domain')}</span>
        <DomainSelect domains={domains} value={domainId} onChange={setDomainId} locale={locale} />
      </label>
      {plan.items.map((item, i) => (
        <fieldset key={item.backupDiskId} className="restore__disk" data-testid="restore-disk">
          <legend>
            {item.alias} — {formatBytes(item.virtualSize, locale)}
          </legend>
          <label className="field">
            <span>{t('upload.diskName')}</span>
            <input
              type="text"
              value={rows[i]!.diskName}
              onChange={(e) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, diskName: e.target.value } : r)))}
              aria-label={t('upload.diskNameOf', { name: item.alias })}
              required
            />
            <SameNameNote name={names[i]!} count={counts.get(names[i]!) ?? 0} />
          </label>
          <label className="field">
            <span>{t('upload.diskFormat')}</span>
            <select
              value={rows[i]!.diskFormat}
              onChange={(e) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, diskFormat: e.target.value as DiskFormat } : r)))}
              aria-label={t('upload.diskFormatOf', { name: item.alias })}
            >
              <option value="raw">{t('diskFormat.raw')}</option>
              <option value="cow">{t('diskFormat.cow')}</option>
            </select>
          </label>
          <SpaceNote verdict={spaceVerdict(item, rows[i]!.diskFormat, false, domain)} domainName={domain?.name ?? ''} locale={locale} />
        </fieldset>
      ))}
      <fieldset className="radio-col">
        <legend>{t('backups.attach')}</legend>
        <label>
          <input type="radio" name="attach" checked={attach === 'source'} onChange={() => setAttach('source')} />
          {plan.vmPresent ? t('backups.attachSource', { vm: plan.vm.name }) : t('backups.attachSourceGone', { vm: plan.vm.name })}
        </label>
        <label>
          <input type="radio" name="attach" checked={attach === 'vm'} onChange={() => setAttach('vm')} />
          {t('backups.attachOther')}
        </label>
        {attach === 'vm' && <input type="text" value={vmName} onChange={(e) => setVmName(e.target.value)} aria-label={t('backups.attachName')} placeholder={t('backups.attachName')} required />}
        <label>
          <input type="radio" name="attach" checked={attach === 'none'} onChange={() => setAttach('none')} />
          {t('backups.attachNone')}
        </label>
      </fieldset>
      <StartChoice value={start} window={window} onChange={setStart} />
      {outcome && <OutcomeSummary result={outcome} />}
      {error && (
        <p className="error-text wrap" role="alert">
          {errorReason(error, t, i18n.language)}
        </p>
      )}
    </Sheet>
  );
}
