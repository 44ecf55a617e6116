/**
 * Pieces the upload plan and the change-and-retry sheet share: the storage domain picker (free space,
 * or why a domain takes nothing), the row's space warning, the same-name warning, and the summary
 * of what a start queued and left out; the footer every plan sheet has (Cancel and Start, then Close).
 */
import { useTranslation } from 'react-i18next';
import type { AddTransfersResult, StorageDomainView } from '../../shared/ipc.js';
import { domainRefusalKey, uploadTargets } from '../lib/engine-text.js';
import { formatBytes } from '../lib/format.js';
import { outcomeCounts, type SpaceVerdict } from '../lib/plan-checks.js';

/** Props of the domain picker. */
export interface DomainSelectProps {
  readonly domains: readonly StorageDomainView[];
  readonly value: string;
  readonly onChange: (id: string) => void;
  readonly locale: string;
  readonly describedBy?: string;
  readonly label?: string;
}

/** A storage domain `<select>`: domains that take uploads first, each with its free space or why not. */
export function DomainSelect({ domains, value, onChange, locale, describedBy, label }: DomainSelectProps) {
  const { t } = useTranslation();
  return (
    <select value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={describedBy} aria-label={label}>
      {value === '' && <option value="">{t('upload.chooseDomain')}</option>}
      {uploadTargets(domains).map((d) => {
        const refusal = domainRefusalKey(d);
        const free = formatBytes(d.available, locale);
        const text = refusal
          ? t(refusal)
          : d.room === 0 && d.criticalSpace !== null
            ? t('fit.freeBelowThreshold', { size: free, threshold: formatBytes(d.criticalSpace, locale) })
            : t('upload.free', { size: free });
        return (
          <option key={d.id} value={d.id} disabled={refusal !== null}>
            {d.name} — {text}
          </option>
        );
      })}
    </select>
  );
}

/** The warning of a row whose disk does not fit on the chosen domain; nothing when it fits or nobody knows. */
export function SpaceNote({ verdict, domainName, locale }: { readonly verdict: SpaceVerdict; readonly domainName: string; readonly locale: string }) {
  const { t } = useTranslation();
  if (verdict.kind === 'fits' || verdict.kind === 'unknown') return null;
  return (
    <div className="warn-text small wrap" data-testid="space-warning">
      {verdict.kind === 'short'
        ? t('fit.short', { need: formatBytes(verdict.need, locale), domain: domainName, free: formatBytes(verdict.free, locale) })
        : t('fit.belowThreshold', { domain: domainName, free: formatBytes(verdict.free, locale), threshold: formatBytes(verdict.threshold, locale) })}
    </div>
  );
}

/** The warning of a disk name the engine already has. */
export function SameNameNote({ name, count }: { readonly name: string; readonly count: number }) {
  const { t } = useTranslation();
  if (count <= 0) return null;
  return (
    <div className="warn-text small wrap" data-testid="same-name">
      {t('upload.sameName', { name, count })}
    </div>
  );
}

/** "11 queued, 1 already in the queue": what a start did. */
export function OutcomeSummary({ result }: { readonly result: AddTransfersResult }) {
  const { t } = useTranslation();
  const counts = outcomeCounts(result);
  const parts = [t('outcome.queued', { count: counts.queued }), ...counts.skipped.map((s) => t(`outcome.${s.reason}`, { count: s.count }))];
  return (
    <p className={counts.skipped.length > 0 ? 'warn-text' : 'muted'} role="status" data-testid="plan-outcome">
      {parts.join(t('outcome.separator'))}
    </p>
  );
}

/** The mark of a row after a start: queued, or why it was left out. */
export function OutcomeMark({ reason }: { readonly reason: string | undefined }) {
  const { t } = useTranslation();
  return reason === undefined ? (
    <div className="ok-text small" data-testid="row-queued">
      {t('outcome.rowQueued')}
    </div>
  ) : (
    <div className="warn-text small wrap" data-testid="row-skipped">
      {t(`outcome.row.${reason}`)}
    </div>
  );
}

/** Props of a plan sheet's footer. */
export interface PlanFooterProps {
  /** The plan was started: only Close is left. */
  readonly done: boolean;
  readonly onClose: () => void;
  readonly canStart: boolean;
  /** The start button's words ("Start 2 uploads"); it submits the sheet. */
  readonly startLabel: string;
  readonly startTestId?: string;
}

/** A plan sheet's footer: Cancel and Start while planning, Close once started. */
export function PlanFooter({ done, onClose, canStart, startLabel, startTestId }: PlanFooterProps) {
  const { t } = useTranslation();
  if (done)
    return (
      <button type="button" className="primary" onClick={onClose}>
        {t('common.close')}
      </button>
    );
  return (
    <>
      <button type="button" onClick={onClose}>
        {t('common.cancel')}
      </button>
      <button type="submit" className="primary" disabled={!canStart} data-testid={startTestId}>
        {startLabel}
      </button>
    </>
  );
}
