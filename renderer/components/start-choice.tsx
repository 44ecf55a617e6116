/** "Start now" or "In the window 22:00–06:00" for new transfers. */
import { useTranslation } from 'react-i18next';
import type { ScheduleWindow, StartMode } from '../../shared/ipc.js';

/** Props of the choice. */
export interface StartChoiceProps {
  readonly value: StartMode;
  readonly window: ScheduleWindow | null;
  readonly onChange: (mode: StartMode) => void;
}

/** Two radio buttons; the window one is disabled (with why) when no window is set. */
export function StartChoice({ value, window, onChange }: StartChoiceProps) {
  const { t } = useTranslation();
  return (
    <fieldset className="radio-row">
      <legend>{t('start.legend')}</legend>
      <label>
        <input type="radio" name="start" checked={value === 'now'} onChange={() => onChange('now')} />
        {t('start.now')}
      </label>
      <label>
        <input type="radio" name="start" checked={value === 'window'} disabled={!window} onChange={() => onChange('window')} />
        {window ? t('start.window', { start: window.start, end: window.end }) : t('start.noWindow')}
      </label>
    </fieldset>
  );
}
