/** The open sheet, wired to the store and the controller. */
import { useEffect, useMemo } from 'react';
import type { UploadPlanItem } from '../../shared/ipc.js';
import { AddEngineSheet } from '../components/add-engine-sheet.js';
import { BackupSheet } from '../components/backup-sheet.js';
import { DownloadPlanSheet } from '../components/download-plan-sheet.js';
import { ReportSheet } from '../components/report-sheet.js';
import { SettingsSheet } from '../components/settings-sheet.js';
import { RestoreSheet } from '../components/restore-sheet.js';
import { RetargetSheet } from '../components/retarget-sheet.js';
import { ConfirmCancelSheet, PasswordSheet, PathsSheet } from '../components/small-sheets.js';
import { UploadPlanSheet } from '../components/upload-plan-sheet.js';
import { useLocale } from '../hooks/use-locale.js';
import { historySummary, inHistory } from '../state/selectors.js';
import type { Sheet } from '../state/app-state.js';
import { useAppState, useController } from './context.js';
import { BackupsPanel } from './backups.js';
import { EngineTransfersPanel } from './engine-transfers.js';

/** A number for each sheet opened: a sheet that takes another's place starts afresh, even of the same kind. */
const sheetKeys = new WeakMap<Sheet, number>();
let lastSheetKey = 0;
function keyOf(sheet: Sheet): number {
  let key = sheetKeys.get(sheet);
  if (key === undefined) sheetKeys.set(sheet, (key = ++lastSheetKey));
  return key;
}

/**
 * Renders the sheet the store says is open. Each opening is its own: a second upload plan (files
 * dropped while the first was open or being planned) took over the first one's rows, names and
 * outcome when React kept the component.
 */
export function Sheets() {
  const sheet = useAppState((s) => s.sheet);
  return sheet ? <OpenSheet key={keyOf(sheet)} sheet={sheet} /> : null;
}

/** One opened sheet, wired to the store and the controller. */
function OpenSheet({ sheet }: { readonly sheet: Sheet }) {
  const c = useController();
  const locale = useLocale();
  const settings = useAppState((s) => s.settings);
  const info = useAppState((s) => s.info);
  const catalog = useAppState((s) => s.catalog);
  const engines = useAppState((s) => s.engines);
  const vms = useAppState((s) => s.vms.vms);
  // Each sheet closes itself only: its close after a wait (a save) leaves a sheet opened meanwhile.
  const close = () => c.closeSheet(sheet);
  const window = settings?.scheduleWindow ?? null;
  const nativeDialogs = info?.nativeDialogs ?? false;
  const chooseFolder = (current: string) => c.chooseFolder(current || null);

  switch (sheet.kind) {
    case 'add-engine':
      return <AddEngineSheet locale={locale} onFetchCa={c.fetchCa} onAdd={c.addEngine} onTest={c.testNewEngine} onClose={close} />;
    case 'settings':
      return settings && <SettingsSheet settings={settings} nativeDialogs={nativeDialogs} onChooseFolder={chooseFolder} onSave={c.setSettings} onClose={close} />;
    case 'paths':
      return <PathsSheet names={sheet.names} onSubmit={(paths) => void c.planUploads(paths)} onClose={close} />;
    case 'upload-plan':
      return (
        <UploadPlanSheet
          plan={sheet.plan}
          domains={catalog.domains}
          window={window}
          locale={locale}
          onStart={c.startUploads}
          onCountNames={c.countDiskNames}
          onClose={close}
        />
      );
    case 'download-plan': {
      const ids = new Set(sheet.diskIds);
      return (
        settings && (
          <DownloadPlanSheet
            disks={catalog.disks.filter((d) => ids.has(d.id))}
            settings={settings}
            window={window}
            locale={locale}
            nativeDialogs={nativeDialogs}
            now={Date.now()}
            onChooseFolder={chooseFolder}
            onPlanFolder={c.planDownloadFolder}
            onStart={async (request, remember) => {
              if (remember)
                await c.setSettings({ downloadFolder: request.folder, downloadNameTemplate: request.nameTemplate ?? settings.downloadNameTemplate, downloadFormat: request.format, existingFilePolicy: request.existing });
              return c.startDownloads(request);
            }}
            onBackUpInstead={(names) => void c.openBackupOf(names)}
            onClose={close}
          />
        )
      );
    }
    case 'backup':
      return (
        <BackupSheet
          vmIds={sheet.vmIds}
          vms={vms}
          folder={engines.selectedId ? (settings?.backupFolder[engines.selectedId] ?? null) : null}
          window={window}
          locale={locale}
          nativeDialogs={nativeDialogs}
          onChooseFolder={chooseFolder}
          onPlan={c.planBackups}
          onStart={c.startBackups}
          onClose={close}
        />
      );
    case 'confirm-cancel':
      return <ConfirmCancel transferIds={sheet.transferIds} onClose={close} />;
    case 'retarget':
      return <Retarget transferId={sheet.transferId} item={sheet.item} nativeDialogs={nativeDialogs} onChooseFolder={chooseFolder} onClose={close} />;
    case 'password': {
      const profile = engines.profiles.find((p) => p.id === sheet.engineId);
      if (!profile) return null;
      return <PasswordSheet profile={profile} onSubmit={(password, save) => c.unlockEngine(profile.id, password, save)} onClose={close} />;
    }
    case 'report':
      return <Report onClose={close} />;
    case 'engine-transfers':
      return <EngineTransfersPanel diskId={sheet.diskId} diskName={sheet.diskName} jobId={sheet.jobId} onClose={close} />;
    case 'backups':
      return <BackupsPanel vmId={sheet.vmId} vmName={sheet.vmName} onClose={close} />;
    case 'restore':
      return <RestoreSheet plan={sheet.plan} domains={catalog.domains} window={window} locale={locale} onStart={c.restore} onCountNames={c.countDiskNames} onBack={() => c.openBackups(sheet.back)} onClose={close} />;
  }
}

// The two sheets that show transfers subscribe to them themselves, so the other sheets (an upload
// plan of a thousand rows) do not re-render with every progress snapshot.

/** The cancel warning, for the transfers that can still be cancelled (closed when none is left). */
function ConfirmCancel({ transferIds, onClose }: { readonly transferIds: readonly string[]; readonly onClose: () => void }) {
  const c = useController();
  const all = useAppState((s) => s.transfers.transfers);
  const transfers = useMemo(() => {
    const ids = new Set(transferIds);
    return all.filter((t) => ids.has(t.id) && t.actions.cancel);
  }, [all, transferIds]);
  // Nothing left to cancel (they finished meanwhile): the sheet closes, rather than staying open
  // unseen and holding the window's shortcuts.
  const none = transfers.length === 0;
  useEffect(() => {
    if (none) onClose();
  }, [none, onClose]);
  if (none) return null;
  return <ConfirmCancelSheet transfers={transfers} onConfirm={() => void c.cancel(transfers.map((t) => t.id))} onClose={onClose} />;
}

/** "Change and retry…", for as long as its transfer exists. */
function Retarget({ transferId, ...rest }: { readonly transferId: string; readonly item: UploadPlanItem | null; readonly nativeDialogs: boolean; readonly onChooseFolder: (current: string) => Promise<string | null>; readonly onClose: () => void }) {
  const c = useController();
  const locale = useLocale();
  const transfer = useAppState((s) => s.transfers.transfers.find((t) => t.id === transferId));
  const domains = useAppState((s) => s.catalog.domains);
  const gone = transfer === undefined;
  useEffect(() => {
    if (gone) rest.onClose();
  }, [gone, rest]);
  if (!transfer) return null;
  return <RetargetSheet transfer={transfer} domains={domains} locale={locale} onCountNames={c.countDiskNames} onSubmit={c.retarget} {...rest} />;
}

/** The history report. */
function Report({ onClose }: { readonly onClose: () => void }) {
  const c = useController();
  const locale = useLocale();
  const transfers = useAppState((s) => s.transfers);
  const history = useMemo(() => transfers.transfers.filter(inHistory), [transfers]);
  return <ReportSheet history={history} summary={historySummary(history)} locale={locale} onSave={(format) => void c.saveReport(format)} onClose={onClose} />;
}
