/**
 * "Change and retry…" of a failed, cancelled or waiting transfer, where it failed: an upload gets the
 * upload plan's pickers (storage domain with its free space, disk name with the same-name warning,
 * disk format, allocation) and the space warning for its file; a download gets its folder and file
 * name. Why it failed stays in view. Main checks the change by the rules of a new transfer.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ErrorInfo } from '../../shared/errors.js';
import type { DiskFormat, RetargetRequest, StorageDomainView, TransferView, UploadPlanItem } from '../../shared/ipc.js';
import { useNameCounts, type CountNames } from '../hooks/use-name-counts.js';
import { defaultUploadTarget } from '../lib/engine-text.js';
import { errorReason } from '../lib/error-text.js';
import { spaceVerdict } from '../lib/plan-checks.js';
import { DomainSelect, SameNameNote, SpaceNote } from './plan-parts.js';
import { Sheet } from './sheet.js';

/** Props of the sheet. */
export interface RetargetSheetProps {
  readonly transfer: TransferView;
  /** The upload's file planned again (its room per choice); null for a download or a file that cannot be read now. */
  readonly item: UploadPlanItem | null;
  readonly domains: readonly StorageDomainView[];
  readonly locale: string;
  readonly nativeDialogs: boolean;
  readonly onChooseFolder: (current: string) => Promise<string | null>;
  readonly onCountNames?: CountNames;
  /** Sends the change; answers the refusal, or null (the sheet is then closed by the caller). */
  readonly onSubmit: (request: RetargetRequest) => Promise<ErrorInfo | null>;
  readonly onClose: () => void;
}

/** The folder and the name of a local path (either separator). */
function splitPath(path: string): { readonly folder: string; readonly name: string } {
  const at = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return at < 0 ? { folder: '', name: path } : { folder: path.slice(0, Math.max(at, 1)), name: path.slice(at + 1) };
}

/** The sheet. */
export function RetargetSheet(props: RetargetSheetProps) {
  const { transfer: tr, onSubmit, onClose } = props;
  const { t, i18n } = useTranslation();
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const upload = useUploadChoice(props);
  const download = useDownloadChoice(props);
  const request: RetargetRequest['target'] | null = tr.direction === 'upload' ? upload.target : download.target;

  const submit = async () => {
    if (busy || request === null) return;
    setBusy(true);
    setError(await onSubmit({ id: tr.id, target: request }));
    setBusy(false);
  };
  const waiting = tr.state !== 'failed' && tr.state !== 'cancelled';
  return (
    <Sheet
      title={t(tr.direction === 'upload' ? 'retarget.titleUpload' : 'retarget.titleDownload', { name: tr.name })}
      onClose={onClose}
      onSubmit={() => void submit()}
      wide
      testId="retarget"
      footer={
        <>
          <button type="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="primary" disabled={busy || request === null}>
            {waiting ? t('retarget.submitWaiting') : t('retarget.submit')}
          </button>
        </>
      }
    >
      {tr.error && (
        <p className="error-text wrap" data-testid="retarget-why">
          {t('retarget.why', { reason: errorReason(tr.error, t, i18n.language) })}
        </p>
      )}
      {tr.direction === 'upload' ? upload.fields : download.fields}
      {waiting && <p className="muted small">{t('retarget.waitingNote')}</p>}
      {error && (
        <p className="error-text wrap" role="alert">
          {errorReason(error, t, i18n.language)}
        </p>
      )}
    </Sheet>
  );
}

/** The upload's choices: the plan's pickers, with the warnings the plan gives. */
function useUploadChoice({ transfer: tr, item, domains, locale, onCountNames }: RetargetSheetProps) {
  const { t } = useTranslation();
  const current = domains.find((d) => d.name === tr.storageDomainName) ?? null;
  // A domain it failed on for want of space is not offered again first.
  const first = tr.error?.code === 'domain-full' || !current?.acceptsUploads ? defaultUploadTarget(domains.filter((d) => d.id !== current?.id)) : current;
  const [domainId, setDomainId] = useState(first?.id ?? '');
  const [diskName, setDiskName] = useState(tr.diskName);
  const [diskFormat, setDiskFormat] = useState<DiskFormat>(tr.diskFormat ?? 'raw');
  const [preallocated, setPreallocated] = useState(tr.preallocated ?? false);
  const counts = useNameCounts([diskName], new Map(), onCountNames);
  const domain = domains.find((d) => d.id === domainId) ?? null;
  const iso = tr.localFormat === 'iso';
  const format: DiskFormat = iso ? 'raw' : diskFormat;
  const name = diskName.trim();
  const target: RetargetRequest['target'] | null =
    domain?.acceptsUploads && name !== '' ? { kind: 'upload', storageDomainId: domain.id, diskName: name, diskFormat: format, preallocated } : null;
  const fields = (
    <>
      <label className="field">
        <span>{t('upload.domain')}</span>
        <DomainSelect domains={domains} value={domainId} onChange={setDomainId} locale={locale} />
        {item && <SpaceNote verdict={spaceVerdict(item, format, preallocated || iso, domain)} domainName={domain?.name ?? ''} locale={locale} />}
      </label>
      <label className="field">
        <span>{t('upload.diskName')}</span>
        <input type="text" value={diskName} onChange={(e) => setDiskName(e.target.value)} required />
        <SameNameNote name={name} count={counts.get(name) ?? 0} />
      </label>
      <label className="field">
        <span>{t('upload.diskFormat')}</span>
        <select value={format} disabled={iso} onChange={(e) => setDiskFormat(e.target.value as DiskFormat)}>
          <option value="raw">{t('diskFormat.raw')}</option>
          <option value="cow">{t('diskFormat.cow')}</option>
        </select>
      </label>
      <label className="check">
        <input type="checkbox" checked={preallocated || iso} disabled={iso} onChange={(e) => setPreallocated(e.target.checked)} />
        {t('upload.preallocated')}
      </label>
    </>
  );
  return { target, fields };
}

/** The download's choices: the folder and the file name. */
function useDownloadChoice({ transfer: tr, nativeDialogs, onChooseFolder }: RetargetSheetProps) {
  const { t } = useTranslation();
  const start = splitPath(tr.localPath);
  const [folder, setFolder] = useState(start.folder);
  const [fileName, setFileName] = useState(start.name);
  const target: RetargetRequest['target'] | null = folder.trim() !== '' && fileName.trim() !== '' ? { kind: 'download', folder: folder.trim(), fileName: fileName.trim() } : null;
  const fields = (
    <>
      <label className="field">
        <span>{t('download.folder')}</span>
        <span className="input-row">
          <input type="text" className="mono" value={folder} onChange={(e) => setFolder(e.target.value)} required />
          {nativeDialogs && (
            <button type="button" onClick={() => void onChooseFolder(folder).then((p) => p && setFolder(p))}>
              {t('common.choose')}
            </button>
          )}
        </span>
      </label>
      <label className="field">
        <span>{t('retarget.fileName')}</span>
        <input type="text" className="mono" value={fileName} onChange={(e) => setFileName(e.target.value)} required />
      </label>
    </>
  );
  return { target, fields };
}
