/** First run: teach the two ways in — add an engine, or try the built-in demo engine. */
import { useTranslation } from 'react-i18next';

/** Props of the first-run panel. */
export interface FirstRunProps {
  readonly demoAvailable: boolean;
  readonly busy: boolean;
  readonly onAddEngine: () => void;
  readonly onDemo: () => void;
}

/** The first-run panel. */
export function FirstRun({ demoAvailable, busy, onAddEngine, onDemo }: FirstRunProps) {
  const { t } = useTranslation();
  return (
    <div className="first-run" data-testid="first-run">
      <h2>{t('firstRun.title')}</h2>
      <p className="muted">{t('firstRun.intro')}</p>
      <div className="first-run__cards">
        <section className="card">
          <h3>{t('firstRun.addTitle')}</h3>
          <p>{t('firstRun.addText')}</p>
          <button type="button" className="primary" onClick={onAddEngine}>
            {t('firstRun.add')}
          </button>
        </section>
        {demoAvailable && (
          <section className="card">
            <h3>{t('firstRun.demoTitle')}</h3>
            <p>{t('firstRun.demoText')}</p>
            <button type="button" onClick={onDemo} disabled={busy}>
              {busy ? t('firstRun.demoStarting') : t('firstRun.demo')}
            </button>
          </section>
        )}
      </div>
    </div>
  );
}
