/**
 * Add an engine: its address, user@profile and password; then how to trust it — fetch the engine
 * CA and compare its SHA-256 fingerprint, import a CA file, or rely on the system's CAs; and the
 * proxy (the system's settings, none, or an HTTP proxy of its own). "Test
 * connection" logs in and shows the engine version without saving; "Test and add" logs in once more
 * and saves (nothing is saved when that fails).
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorInfo, Result } from '../../shared/errors.js';
import type { AddEngineRequest, CaCertificateInfo, EngineTestResult, EngineTrustChoice, ProxySetting } from '../../shared/ipc.js';
import { formatDateTime } from '../lib/format.js';
import { Sheet } from './sheet.js';
import { useLatestRequest } from '../hooks/use-latest-request.js';

/** Props of the sheet. */
export interface AddEngineSheetProps {
  readonly locale: string;
  readonly onFetchCa: (engineUrl: string, proxy: ProxySetting) => Promise<Result<CaCertificateInfo>>;
  readonly onAdd: (request: AddEngineRequest) => Promise<Result<null>>;
  readonly onTest: (request: AddEngineRequest) => Promise<Result<EngineTestResult>>;
  readonly onClose: () => void;
}

type TrustKind = EngineTrustChoice['kind'];
type ProxyKind = 'system' | 'none' | 'manual';

/** The sheet. */
export function AddEngineSheet({ locale, onFetchCa, onAdd, onTest, onClose }: AddEngineSheetProps) {
  const { t } = useTranslation();
  const [url, setUrl] = useState('');
  const [username, setUsername] = useState('admin@internal');
  const [password, setPassword] = useState('');
  const [savePassword, setSavePassword] = useState(true);
  const [name, setName] = useState('');
  const [trustKind, setTrustKind] = useState<TrustKind>('fingerprint');
  const [ca, setCa] = useState<CaCertificateInfo | null>(null);
  const [caAccepted, setCaAccepted] = useState(false);
  const [pem, setPem] = useState<{ name: string; text: string } | null>(null);
  const [systemTrust, setSystemTrust] = useState(false);
  const [proxyKind, setProxyKind] = useState<ProxyKind>('system');
  const [proxyUrl, setProxyUrl] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState<'ca' | 'add' | 'test' | null>(null);
  const [tested, setTested] = useState<EngineTestResult | null>(null);

  // A certificate fetched for an address the user has changed since is another host's: not shown.
  const askCa = useLatestRequest();
  const fetchCa = async () => {
    const latest = askCa();
    setBusy('ca');
    setError(null);
    setCaAccepted(false);
    const r = await onFetchCa(url.trim(), proxy);
    if (!latest()) return;
    setBusy(null);
    if (r.ok) setCa(r.value);
    else {
      setCa(null);
      setError(r.error);
    }
  };

  const trust: EngineTrustChoice | null =
    trustKind === 'fingerprint' ? (ca && caAccepted ? { kind: 'fingerprint', fingerprint: ca.fingerprint } : null) : trustKind === 'pem' ? (pem ? { kind: 'pem', pem: pem.text } : null) : { kind: 'system' };
  const proxy: ProxySetting = proxyKind === 'manual' ? proxyUrl.trim() : proxyKind;
  const canAdd = busy === null && url.trim() !== '' && username.includes('@') && password !== '' && trust !== null && proxy !== '';

  const request = (): AddEngineRequest | null =>
    canAdd && trust ? { engineUrl: url.trim(), username: username.trim(), password, savePassword, trust, systemTrust, proxy, ...(name.trim() ? { name: name.trim() } : {}) } : null;

  const add = async () => {
    const r0 = request();
    if (!r0) return;
    setBusy('add');
    setError(null);
    const r = await onAdd(r0);
    setBusy(null);
    if (!r.ok) setError(r.error);
  };

  const test = async () => {
    const r0 = request();
    if (!r0) return;
    setBusy('test');
    setError(null);
    setTested(null);
    const r = await onTest(r0);
    setBusy(null);
    if (r.ok) setTested(r.value);
    else setError(r.error);
  };

  return (
    <Sheet
      title={t('addEngine.title')}
      onClose={onClose}
      onSubmit={() => void add()}
      testId="add-engine"
      footer={
        <>
          <button type="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="button" disabled={!canAdd} onClick={() => void test()}>
            {busy === 'test' ? t('addEngine.testing') : t('addEngine.test')}
          </button>
          <button type="submit" className="primary" disabled={!canAdd}>
            {busy === 'add' ? t('addEngine.testing') : t('addEngine.add')}
          </button>
        </>
      }
    >
      <label className="field">
        <span>{t('addEngine.url')}</span>
        <input type="text" className="mono" value={url} placeholder="https://engine.example.com/ovirt-engine" autoFocus onChange={(e) => {
          setUrl(e.target.value);
          askCa();
          setCa(null);
          setCaAccepted(false);
          setBusy((b) => (b === 'ca' ? null : b));
        }} />
      </label>
      <div className="field-row">
        <label className="field">
          <span>{t('addEngine.username')}</span>
          <input type="text" value={username} autoComplete="username" onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label className="field">
          <span>{t('addEngine.password')}</span>
          <input type="password" value={password} autoComplete="current-password" onChange={(e) => setPassword(e.target.value)} />
        </label>
      </div>
      <label className="check">
        <input type="checkbox" checked={savePassword} onChange={(e) => setSavePassword(e.target.checked)} />
        {t('addEngine.savePassword')}
      </label>
      <label className="field">
        <span>{t('addEngine.name')}</span>
        <input type="text" value={name} placeholder={t('addEngine.namePlaceholder')} onChange={(e) => setName(e.target.value)} />
      </label>

      <fieldset className="trust">
        <legend>{t('addEngine.trust')}</legend>
        <label className="check">
          <input type="radio" name="trust" checked={trustKind === 'fingerprint'} onChange={() => setTrustKind('fingerprint')} />
          {t('addEngine.trustFetched')}
        </label>
        {trustKind === 'fingerprint' && (
          <div className="trust__body">
            <button type="button" onClick={() => void fetchCa()} disabled={url.trim() === '' || busy !== null}>
              {busy === 'ca' ? t('addEngine.fetching') : t('addEngine.fetchCa')}
            </button>
            {ca && (
              <div className="ca-card" data-testid="ca-card">
                <div className="muted small">{t('addEngine.fingerprint')}</div>
                <code className="fingerprint" data-testid="ca-fingerprint">{ca.fingerprint}</code>
                <div className="small">{ca.subject}</div>
                <div className="muted small">{t('addEngine.validUntil', { date: formatDateTime(ca.notAfter, locale) })}</div>
                <p className="small">{t('addEngine.compare')}</p>
                <label className="check">
                  <input type="checkbox" checked={caAccepted} onChange={(e) => setCaAccepted(e.target.checked)} />
                  {t('addEngine.trustThis')}
                </label>
              </div>
            )}
          </div>
        )}
        <label className="check">
          <input type="radio" name="trust" checked={trustKind === 'pem'} onChange={() => setTrustKind('pem')} />
          {t('addEngine.trustFile')}
        </label>
        {trustKind === 'pem' && (
          <div className="trust__body">
            <input
              type="file"
              accept=".pem,.crt,.cer,application/x-pem-file"
              aria-label={t('addEngine.caFile')}
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) void file.text().then((text) => setPem({ name: file.name, text }));
              }}
            />
            {pem && !pem.text.includes('BEGIN CERTIFICATE') && <p className="error-text small">{t('addEngine.notPem', { name: pem.name })}</p>}
          </div>
        )}
        <label className="check">
          <input type="radio" name="trust" checked={trustKind === 'system'} onChange={() => setTrustKind('system')} />
          {t('addEngine.trustSystem')}
        </label>
        {trustKind !== 'system' && (
          <label className="check small">
            <input type="checkbox" checked={systemTrust} onChange={(e) => setSystemTrust(e.target.checked)} />
            {t('addEngine.alsoSystem')}
          </label>
        )}
      </fieldset>

      <fieldset className="trust" data-testid="engine-proxy">
        <legend>{t('addEngine.proxy')}</legend>
        <label className="check">
          <input type="radio" name="proxy" checked={proxyKind === 'system'} onChange={() => setProxyKind('system')} />
          {t('addEngine.proxySystem')}
        </label>
        <label className="check">
          <input type="radio" name="proxy" checked={proxyKind === 'none'} onChange={() => setProxyKind('none')} />
          {t('addEngine.proxyNone')}
        </label>
        <label className="check">
          <input type="radio" name="proxy" checked={proxyKind === 'manual'} onChange={() => setProxyKind('manual')} />
          {t('addEngine.proxyManual')}
        </label>
        {proxyKind === 'manual' && (
          <div className="trust__body">
            <input type="text" className="mono" value={proxyUrl} placeholder="http://proxy.example.com:3128" aria-label={t('addEngine.proxyManual')} onChange={(e) => setProxyUrl(e.target.value)} />
          </div>
        )}
        <p className="muted small">{t('addEngine.proxyHint')}</p>
      </fieldset>
      {tested && !error && (
        <p className="ok-text" role="status" data-testid="engine-tested">
          {t('addEngine.connected', { version: tested.engineVersion })}
        </p>
      )}
      {error && (
        <p className="error-text" role="alert">
          {error.message}
        </p>
      )}
    </Sheet>
  );
}
