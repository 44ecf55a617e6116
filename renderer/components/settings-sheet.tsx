/**
 * Settings: downloads (folder, names, format, existing files), transfers (connections, retries,
 * host or proxy, inactivity timeout), the desktop (notifications, keep awake, confirm quit) and
 * appearance (language, theme). Saved together; main answers the stored settings.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ExistingFilePolicy, OutputFormat, Settings, SettingsPatch } from '../../shared/ipc.js';
import { Sheet } from './sheet.js';

/** Props of the sheet. */
export interface SettingsSheetProps {
  readonly settings: Settings;
  readonly nativeDialogs: boolean;
  readonly onChooseFolder: (current: string) => Promise<string | null>;
  readonly onSave: (patch: SettingsPatch) => Promise<boolean>;
  readonly onClose: () => void;
}

/** The settings this sheet shows (the queue's own controls, the splitter and what main remembers are not among them). */
const SHOWN = [
  'downloadNameTemplate',
  'downloadFormat',
  'existingFilePolicy',
  'connectionsPerTransfer',
  'maxRetries',
  'preferProxy',
  'verify',
  'inactivityTimeout',
  'notifications',
  'preventSleep',
  'confirmQuit',
  'language',
  'theme',
] as const satisfies readonly (keyof Settings)[];

type Draft = Pick<Settings, (typeof SHOWN)[number]> & { downloadFolder: string };

/** The sheet's fields from the settings. */
function draftOf(settings: Settings): Draft {
  return { ...(Object.fromEntries(SHOWN.map((k) => [k, settings[k]])) as Pick<Settings, (typeof SHOWN)[number]>), downloadFolder: settings.downloadFolder ?? '' };
}

/**
 * What Save sends: the fields the user changed here, and only those. A setting changed elsewhere
 * while the sheet was open (the queue's limit or window, main forgetting a full domain) stays as it
 * is now: the whole sheet sent back put the old values back.
 */
function changedSettings(opened: Draft, edited: Draft): SettingsPatch {
  const patch: Record<string, unknown> = {};
  for (const k of SHOWN) if (edited[k] !== opened[k]) patch[k] = edited[k];
  const folder = edited.downloadFolder.trim();
  if (folder !== opened.downloadFolder.trim()) patch['downloadFolder'] = folder === '' ? null : folder;
  return patch as SettingsPatch;
}

/** The sheet. */
export function SettingsSheet({ settings, nativeDialogs, onChooseFolder, onSave, onClose }: SettingsSheetProps) {
  const { t } = useTranslation();
  const [opened] = useState(() => draftOf(settings));
  const [d, setD] = useState<Draft>(opened);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setD((x) => ({ ...x, [key]: value }));

  const save = async () => {
    setBusy(true);
    const patch = changedSettings(opened, d);
    const ok = Object.keys(patch).length === 0 || (await onSave(patch));
    setBusy(false);
    if (ok) onClose();
  };

  return (
    <Sheet
      title={t('settings.title')}
      onClose={onClose}
      onSubmit={() => void save()}
      testId="settings"
      footer={
        <>
          <button type="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {t('common.save')}
          </button>
        </>
      }
    >
      <fieldset>
        <legend>{t('settings.downloads')}</legend>
        <div className="field">
          <label htmlFor="settings-folder">{t('settings.downloadFolder')}</label>
          <div className="input-row">
            <input id="settings-folder" type="text" className="mono" value={d.downloadFolder} onChange={(e) => set('downloadFolder', e.target.value)} />
            {nativeDialogs && (
              <button type="button" onClick={() => void onChooseFolder(d.downloadFolder).then((p) => p && set('downloadFolder', p))}>
                {t('common.choose')}
              </button>
            )}
          </div>
        </div>
        <label className="field">
          <span>{t('download.template')}</span>
          <input type="text" className="mono" value={d.downloadNameTemplate} onChange={(e) => set('downloadNameTemplate', e.target.value)} />
        </label>
        <div className="field-row">
          <label className="field">
            <span>{t('download.format')}</span>
            <select value={d.downloadFormat} onChange={(e) => set('downloadFormat', e.target.value as OutputFormat)}>
              <option value="raw">{t('format.raw')}</option>
              <option value="qcow2">{t('format.qcow2')}</option>
            </select>
          </label>
          <label className="field">
            <span>{t('download.existing')}</span>
            <select value={d.existingFilePolicy} onChange={(e) => set('existingFilePolicy', e.target.value as ExistingFilePolicy)}>
              <option value="rename">{t('existing.rename')}</option>
              <option value="overwrite">{t('existing.overwrite')}</option>
              <option value="skip">{t('existing.skip')}</option>
            </select>
          </label>
        </div>
      </fieldset>
      <fieldset>
        <legend>{t('settings.transfers')}</legend>
        <div className="field-row">
          <label className="field">
            <span>{t('settings.connections')}</span>
            <input type="number" min={1} max={8} value={d.connectionsPerTransfer} onChange={(e) => set('connectionsPerTransfer', Number(e.target.value))} />
          </label>
          <label className="field">
            <span>{t('settings.retries')}</span>
            <input type="number" min={0} max={10} value={d.maxRetries} onChange={(e) => set('maxRetries', Number(e.target.value))} />
          </label>
          <label className="field">
            <span>{t('settings.inactivity')}</span>
            <input type="number" min={0} max={86400} value={d.inactivityTimeout} onChange={(e) => set('inactivityTimeout', Number(e.target.value))} />
          </label>
        </div>
        <div className="radio-col" role="radiogroup" aria-label={t('settings.route')}>
          <label className="check">
            <input type="radio" name="route" checked={!d.preferProxy} onChange={() => set('preferProxy', false)} />
            {t('settings.routeDirect')}
          </label>
          <label className="check">
            <input type="radio" name="route" checked={d.preferProxy} onChange={() => set('preferProxy', true)} />
            {t('settings.routeProxy')}
          </label>
        </div>
        <label className="check">
          <input type="checkbox" checked={d.verify} onChange={(e) => set('verify', e.target.checked)} />
          {t('settings.verify')}
        </label>
        <p className="muted small">{t('settings.verification')}</p>
      </fieldset>
      <fieldset>
        <legend>{t('settings.desktop')}</legend>
        <label className="check">
          <input type="checkbox" checked={d.notifications} onChange={(e) => set('notifications', e.target.checked)} />
          {t('settings.notifications')}
        </label>
        <label className="check">
          <input type="checkbox" checked={d.preventSleep} onChange={(e) => set('preventSleep', e.target.checked)} />
          {t('settings.keepAwake')}
        </label>
        <label className="check">
          <input type="checkbox" checked={d.confirmQuit} onChange={(e) => set('confirmQuit', e.target.checked)} />
          {t('settings.confirmQuit')}
        </label>
      </fieldset>
      <fieldset>
        <legend>{t('settings.appearance')}</legend>
        <div className="field-row">
          <label className="field">
            <span>{t('settings.language')}</span>
            <select value={d.language} onChange={(e) => set('language', e.target.value as Settings['language'])}>
              <option value="system">{t('settings.followSystem')}</option>
              <option value="en">English</option>
              <option value="ja">日本語</option>
            </select>
          </label>
          <label className="field">
            <span>{t('settings.theme')}</span>
            <select value={d.theme} onChange={(e) => set('theme', e.target.value as Settings['theme'])}>
              <option value="system">{t('settings.followSystem')}</option>
              <option value="light">{t('settings.light')}</option>
              <option value="dark">{t('settings.dark')}</option>
            </select>
          </label>
        </div>
      </fieldset>
    </Sheet>
  );
}
