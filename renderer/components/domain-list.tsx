/** The left pane's storage domains: name, type and storage, real status, free space. */
import { useTranslation } from 'react-i18next';
import type { StorageDomainView } from '../../shared/ipc.js';
import { formatBytes } from '../lib/format.js';
import { domainStatusKey } from '../lib/engine-text.js';

/** Props of the domain list. */
export interface DomainListProps {
  readonly domains: readonly StorageDomainView[];
  readonly locale: string;
}

/** The storage domains section. */
export function DomainList({ domains, locale }: DomainListProps) {
  const { t } = useTranslation();
  return (
    <section className="pane-section" aria-labelledby="domains-heading">
      <div className="pane-section__head">
        <h2 id="domains-heading">{t('sidebar.domains')}</h2>
      </div>
      <table className="dense-table" data-testid="domains">
        <thead className="visually-hidden">
          <tr>
            <th>{t('domain.name')}</th>
            <th>{t('domain.type')}</th>
            <th>{t('domain.free')}</th>
          </tr>
        </thead>
        <tbody>
          {domains.map((d) => (
            <tr key={d.id} className={d.status === 'active' ? '' : 'row--muted'}>
              <td className="cell-name" title={d.name}>
                {d.name}
                {d.status !== 'active' && <span className="muted"> ({t(domainStatusKey(d.status))})</span>}
              </td>
              <td className="muted small">
                {d.type}
                {d.storageType ? ` · ${d.storageType}` : ''}
              </td>
              <td className="num">{formatBytes(d.available, locale)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
