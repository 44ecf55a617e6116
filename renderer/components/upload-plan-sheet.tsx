/**
 * The upload plan: one row per probed file (detected format, virtual size, disk name, disk format,
 * any problem in words with its fix, a disk that does not fit on the chosen domain, a disk name the
 * engine already has, typed or suggested), the target storage domain (remembered per engine),
 * sparse or preallocated, start now or in the window, and one Start button. When a start leaves rows
 * out (already in the queue), the sheet stays to say which and why.
 */
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorInfo, Result } from '../../shared/errors.js';
import type { AddTransfersResult, AddUploadsRequest, DiskFormat, ScheduleWindow, StartMode, StorageDomainView, UploadPlan } from '../../shared/ipc.js';
import { useNameCounts, type CountNames } from '../hooks/use-name-counts.js';
import { defaultUploadTarget } from '../lib/engine-text.js';
import { formatBytes } from '../lib/format.js';
import { skippedAt, spaceVerdict } from '../lib/plan-checks.js';
import { DomainSelect, OutcomeMark, OutcomeSummary, PlanFooter, SameNameNote, SpaceNote } from './plan-parts.js';
import { Sheet } from './sheet.js';
import { StartChoice } from './start-choice.js';

/** Props of the sheet. */
export interface UploadPlanSheetProps {
  readonly plan: UploadPlan;
  readonly domains: readonly StorageDomainView[];
  readonly window: ScheduleWindow | null;
  readonly locale: string;
  /** Queues the rows; the answer says what was queued and what left out (the sheet closes when nothing was). */
  readonly onStart: (request: AddUploadsRequest) => Promise<Result<AddTransfersResult>>;
  /** Counts the engine's disks with typed names (the same-name warning). */
  readonly onCountNames?: CountNames;
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
export function UploadPlanSheet({ plan, domains, window: schedule, locale, onStart, onCountNames, onClose }: UploadPlanSheetProps) {
  const { t } = useTranslation();
  const [domainId, setDomainId] = useState(plan.storageDomainId ?? defaultUploadTarget(domains)?.id ?? '');
  const [rows, setRows] = useState<RowChoice[]>(plan.items.map((i) => ({ include: i.problem === null, diskName: i.diskName, diskFormat: i.diskFormat })));
  const [preallocated, setPreallocated] = useState(false);
  const [start, setStart] = useState<StartMode>('now');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  /** What the start did, with the paths of the rows it was asked for (in request order). */
  const [outcome, setOutcome] = useState<{ readonly result: AddTransfersResult; readonly paths: readonly string[] } | null>(null);
  const domain = domains.find((d) => d.id === domainId) ?? null;
  const chosen = plan.items.flatMap((item, i) => {
    const r = rows[i];
    return r && r.include && item.problem === null ? [{ item, r, i }] : [];
  });
  const namesOk = chosen.every(({ r }) => r.diskName.trim() !== '');
  const canStart = !busy && domain?.acceptsUploads === true && chosen.length > 0 && namesOk;
  // Files with a problem first; a very large plan shows its first rows only (the rest keep their
  // suggested names) so the sheet stays light.
  const order = plan.items.map((_, i) => i).sort((a, b) => Number(plan.items[b]?.problem !== null) - Number(plan.items[a]?.problem !== null) || a - b);
  const shownOrder = order.slice(0, PLAN_ROWS_SHOWN);
  const hidden = order.length - shownOrder.length;
  const update = (i: number, patch: Partial<RowChoice>) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const known = useMemo(() => new Map(plan.items.flatMap((i) => (i.sameNameDisks === null ? [] : [[i.diskName, i.sameNameDisks] as const]))), [plan]);
  // Typed names are asked of the engine; suggested ones were counted with the plan (not at all for a
  // very large plan, which main leaves unchecked on purpose).
  const counts = useNameCounts(
    shownOrder.flatMap((i) => {
      const item = plan.items[i];
      const typed = rows[i]?.diskName.trim() ?? '';
      return item && item.problem === null && typed !== item.diskName ? [typed] : [];
    }),
    known,
    onCountNames,
  );
  const formatOf = (i: number) => (plan.items[i]?.format === 'iso' ? 'raw' : (rows[i]?.diskFormat ?? 'raw'));
  const verdictOf = (i: number) => {
    const item = plan.items[i];
    return item ? spaceVerdict(item, formatOf(i), preallocated || item.format === 'iso', domain) : ({ kind: 'unknown' } as const);
  };
  const noRoom = chosen.filter(({ i }) => {
    const v = verdictOf(i).kind;
    return v === 'short' || v === 'below-threshold';
  }).length;
  const outcomeOf = (path: string) => {
    if (!outcome) return null;
    const index = outcome.paths.indexOf(path);
    return index < 0 ? null : { reason: skippedAt(outcome.result, index) };
  };

  const submit = async () => {
    if (!canStart || outcome) return;
    setBusy(true);
    const items = chosen.map(({ item, r }) => ({ path: item.path, storageDomainId: domainId, diskName: r.diskName.trim(), diskFormat: item.format === 'iso' ? ('raw' as const) : r.diskFormat, preallocated }));
    const r = await onStart({ items, start });
    setBusy(false);
    setError(r.ok ? null : r.error);
    if (r.ok) setOutcome({ result: r.value, paths: items.map((i) => i.path) });
  };

  return (
    <Sheet
      title={t('upload.title', { count: plan.items.length })}
      onClose={onClose}
      onSubmit={() => void submit()}
      wide
      testId="upload-plan"
      footer={<PlanFooter done={outcome !== null} onClose={onClose} canStart={canStart} startLabel={t('upload.start', { count: chosen.length })} />}
    >
      <label className="field">
        <span>{t('upload.domain')}</span>
        <DomainSelect domains={domains} value={domainId} onChange={setDomainId} locale={locale} describedBy="upload-domain-help" />
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
                  {!item.problem && r.include && <SpaceNote verdict={verdictOf(i)} domainName={domain?.name ?? ''} locale={locale} />}
                  {!item.problem && <SameNameNote name={r.diskName.trim()} count={counts.get(r.diskName.trim()) ?? 0} />}
                  {outcomeOf(item.path) && <OutcomeMark reason={outcomeOf(item.path)?.reason} />}
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
      {noRoom > 0 && !outcome && (
        <p className="warn-text" role="status" data-testid="space-summary">
          {t('fit.summary', { count: noRoom, domain: domain?.name ?? '' })}
        </p>
      )}
      {outcome && <OutcomeSummary result={outcome.result} />}
      {error && (
        <p className="error-text" role="alert">
          {error.message}
        </p>
      )}
    </Sheet>
  );
}
