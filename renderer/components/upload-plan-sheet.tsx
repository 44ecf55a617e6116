/**
 * The upload plan: one row per probed file (detected format, virtual size, disk name, disk format,
 * any problem in words with its fix), the target storage domain (remembered per engine), sparse or
 * preallocated, start now or in the window, and one Start button.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorInfo } from '../../shared/errors.js';
import type { AddUploadsRequest, DiskFormat, ScheduleWindow, StartMode, StorageDomainView, UploadPlan } from '../../shared/ipc.js';
import { defaultUploadTarget, domainRefusalKey, uploadTargets } from '../lib/engine-text.js';
import { formatBytes } from '../lib/format.js';
import { Sheet } from './sheet.js';
import { StartChoice } from './start-choice.js';

/** Props of the sheet. */
export interface UploadPlanSheetProps {
  readonly plan: UploadPlan;
  readonly domains: readonly StorageDomainView[];
  readonly window: ScheduleWindow | null;
  readonly locale: string;
  readonly onStart: (request: AddUploadsRequest) => Promise<ErrorInfo | null>;
  readonly onClose: () => void;
}

/** Rows of the plan table rendered at most. */
export const PLAN_ROWS_SHOWN = 100;

interface RowChoice {
  readonly include: boolean;
  readonly diskName: string;
  readonly diskFormat: DiskFormat;
}

/** The sheet. */
export function UploadPlanSheet({ plan, domains, window: schedule, locale, onStart, onClose }: UploadPlanSheetProps) {
  const { t } = useTranslation();
  const targets = uploadTargets(domains);
  const [domainId, setDomainId] = useState(plan.storageDomainId ?? defaultUploadTarget(domains)?.id ?? '');
  const [rows, setRows] = useState<RowChoice[]>(plan.items.map((i) => ({ include: i.problem === null, diskName: i.diskName, diskFormat: i.diskFormat })));
  const [preallocated, setPreallocated] = useState(false);
  const [start, setStart] = useState<StartMode>('now');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const domain = domains.find((d) => d.id === domainId) ?? null;
  const chosen = plan.items.flatMap((item, i) => {
    const r = rows[i];
    return r && r.include && item.problem === null ? [{ item, r }] : [];
  });
  const namesOk = chosen.every(({ r }) => r.diskName.trim() !== '');
  const canStart = !busy && domain?.acceptsUploads === true && chosen.length > 0 && namesOk;
  // Files with a problem first; a very large plan shows its first rows only (the rest keep their
  // suggested names) so the sheet stays light.
  const order = plan.items.map((_, i) => i).sort((a, b) => Number(plan.items[b]?.problem !== null) - Number(plan.items[a]?.problem !== null) || a - b);
  const shownOrder = order.slice(0, PLAN_ROWS_SHOWN);
  const hidden = order.length - shownOrder.length;
  const update = (i: number, patch: Partial<RowChoice>) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  const submit = async () => {
    if (!canStart) return;
    setBusy(true);
    const err = await onStart({
      items: chosen.map(({ item, r }) => ({ path: item.path, storageDomainId: domainId, diskName: r.diskName.trim(), diskFormat: item.format === 'iso' ? 'raw' : r.diskFormat, preallocated })),
      start,
    });
    setBusy(false);
    setError(err);
  };

  return (
    <Sheet
      title={t('upload.title', { count: plan.items.length })}
      onClose={onClose}
      onSubmit={() => void submit()}
      wide
      testId="upload-plan"
      footer={
        <>
          <button type="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="primary" disabled={!canStart}>
            {t('upload.start', { count: chosen.length })}
          </button>
        </>
      }
    >
      <label className="field">
        <span>{t('upload.domain')}</span>
        <select value={domainId} onChange={(e) => setDomainId(e.target.value)} aria-describedby="upload-domain-help">
          {domainId === '' && <option value="">{t('upload.chooseDomain')}</option>}
          {targets.map((d) => {
            const refusal = domainRefusalKey(d);
            return (
              <option key={d.id} value={d.id} disabled={refusal !== null}>
                {d.name} — {refusal ? t(refusal) : t('upload.free', { size: formatBytes(d.available, locale) })}
              </option>
            );
          })}
        </select>
        <span id="upload-domain-help" className="muted small">
          {domain?.isBlock ? t('upload.blockNote', { name: domain.name }) : t('upload.domainRemembered')}
        </span>
      </label>
      <table className="dense-table plan-table">
        <thead>
          <tr>
            <th className="col-check">{t('upload.include')}</th>
            <th>{t('upload.file')}</th>
            <th>{t('upload.detected')}</th>
            <th className="num">{t('upload.virtualSize')}</th>
            <th>{t('upload.diskName')}</th>
            <th>{t('upload.diskFormat')}</th>
          </tr>
        </thead>
        <tbody>
          {shownOrder.map((i) => {
            const item = plan.items[i];
            const r = rows[i];
            if (!item) return null;
            if (!r) return null;
            return (
              <tr key={item.path} className={item.problem ? 'row--problem' : ''} data-testid="plan-row">
                <td className="col-check">
                  <input type="checkbox" aria-label={t('upload.includeFile', { name: item.fileName })} checked={r.include} disabled={item.problem !== null} onChange={(e) => update(i, { include: e.target.checked })} />
                </td>
                <td className="col-name" title={item.path}>
                  {item.fileName}
                  {item.problem && (
                    <div className="error-text small" role="alert">
                      {item.problem.message}
                    </div>
                  )}
                  {!item.problem && item.sameNameDisks !== null && item.sameNameDisks > 0 && r.diskName === item.diskName && (
                    <div className="warn-text small" data-testid="same-name">
                      {t('upload.sameName', { name: item.diskName, count: item.sameNameDisks })}
                    </div>
                  )}
                </td>
                <td>
                  {item.format ? t(`format.${item.format}`) : '—'}
                  {item.notIso && (
                    <div className="warn-text small" data-testid="not-iso">
                      {t('upload.notIso')}
                    </div>
                  )}
                </td>
                <td className="num">{formatBytes(item.virtualSize, locale)}</td>
                <td>
                  <input type="text" aria-label={t('upload.diskNameOf', { name: item.fileName })} value={r.diskName} disabled={item.problem !== null} onChange={(e) => update(i, { diskName: e.target.value })} />
                </td>
                <td>
                  <select aria-label={t('upload.diskFormatOf', { name: item.fileName })} value={item.format === 'iso' ? 'raw' : r.diskFormat} disabled={item.problem !== null || item.format === 'iso'} onChange={(e) => update(i, { diskFormat: e.target.value as DiskFormat })}>
                    <option value="raw">{t('diskFormat.raw')}</option>
                    <option value="cow">{t('diskFormat.cow')}</option>
                  </select>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {hidden > 0 && <p className="muted small">{t('upload.more', { count: hidden })}</p>}
      <label className="check">
        <input type="checkbox" checked={preallocated} onChange={(e) => setPreallocated(e.target.checked)} />
        {t('upload.preallocated')}
      </label>
      <p className="muted small">{t('upload.sparseNote')}</p>
      <StartChoice value={start} window={schedule} onChange={setStart} />
      {error && (
        <p className="error-text" role="alert">
          {error.message}
        </p>
      )}
    </Sheet>
  );
}
