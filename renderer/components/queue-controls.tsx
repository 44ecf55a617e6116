/**
 * The queue's global controls: transfers at once, a bandwidth limit, and the overnight window.
 * Edits are committed on change (selects, checkbox) or on blur/Enter (text), then echoed back by
 * main's settings event.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ScheduleWindow, Settings, SettingsPatch } from '../../shared/ipc.js';
import { bandwidthLimitText, limitProblemKey, parseBandwidthLimit, scheduleWindowOf } from '../lib/limits.js';
import type { RateLimitProblem } from '../../shared/rate-limit.js';
import { useEchoedValue } from '../hooks/use-echoed-value.js';
import { useKeepInView } from '../hooks/use-keep-in-view.js';
import { useLocale } from '../hooks/use-locale.js';
import { TimeOfDayField } from './time-of-day-field.js';

/** Props of the controls. */
export interface QueueControlsProps {
  readonly settings: Settings;
  /** Saves a change; answered once main has it (or refused it). */
  readonly onChange: (patch: SettingsPatch) => Promise<unknown>;
}

const DEFAULT_WINDOW: ScheduleWindow = { start: '22:00', end: '06:00' };

/** The controls. */
export function QueueControls({ settings, onChange }: QueueControlsProps) {
  const { t } = useTranslation();
  const locale = useLocale();
  const [limit, setLimit] = useState(bandwidthLimitText(settings.bandwidthLimit));
  // Why the typed limit was refused (shown under the field, saying what is accepted); null when it was taken.
  const [limitProblem, setLimitProblem] = useState<RateLimitProblem | null>(null);
  const limitProblemRef = useRef<HTMLSpanElement>(null);
  useKeepInView(limitProblemRef, limitProblem !== null);
  const [start, setStart] = useState(settings.scheduleWindow?.start ?? DEFAULT_WINDOW.start);
  const [end, setEnd] = useState(settings.scheduleWindow?.end ?? DEFAULT_WINDOW.end);
  // Optimistic copies: the control changes at once, main's settings event confirms (or corrects) it.
  const [windowOn, setWindowOn] = useState(settings.scheduleWindow !== null);
  const [concurrent, , commitConcurrent] = useEchoedValue(
    settings.maxConcurrent,
    useCallback((n: number) => onChange({ maxConcurrent: n }), [onChange]),
  );
  useEffect(() => setWindowOn(settings.scheduleWindow !== null), [settings.scheduleWindow]);
  useEffect(() => setLimit(bandwidthLimitText(settings.bandwidthLimit)), [settings.bandwidthLimit]);
  // The time field being edited: main's echo of an earlier commit must not overwrite what is typed.
  const editing = useRef<'start' | 'end' | null>(null);
  // The window last sent to main and not echoed yet. Echoes arrive in order, so until this one comes
  // back, an echo is of an earlier commit (turning the window on, the other field) and must not undo
  // it: on a busy machine the echo of ticking the box can arrive after the start time was typed.
  const sent = useRef<ScheduleWindow | null>(null);
  useEffect(() => {
    const w = settings.scheduleWindow;
    if (!w) return;
    if (sent.current) {
      if (w.start !== sent.current.start || w.end !== sent.current.end) return;
      sent.current = null;
    }
    if (editing.current !== 'start') setStart(w.start);
    if (editing.current !== 'end') setEnd(w.end);
  }, [settings.scheduleWindow]);

  const commitLimit = () => {
    const parsed = parseBandwidthLimit(limit);
    setLimitProblem(parsed.ok ? null : parsed.problem);
    if (parsed.ok && parsed.value !== settings.bandwidthLimit) void onChange({ bandwidthLimit: parsed.value });
  };
  const sendWindow = (w: ScheduleWindow | null) => {
    sent.current = w;
    void onChange({ scheduleWindow: w });
  };
  const commitWindow = (s: string, e: string) => {
    const w = scheduleWindowOf(s, e);
    // Compared with what main will hold once its echoes arrive, not with what it said last.
    const current = sent.current ?? settings.scheduleWindow;
    if (w && windowOn && (!current || w.start !== current.start || w.end !== current.end)) sendWindow(w);
  };

  return (
    <div className="queue-controls" role="group" aria-label={t('queue.controls')}>
      <label>
        {t('queue.concurrency')}
        <select
          value={concurrent}
          onChange={(e) => commitConcurrent(Number(e.target.value))}
        >
          {[1, 2, 3, 4, 5, 6, 7, 8].map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <label className="limit-field">
        {t('queue.limit')}
        <input
          type="text"
          className={limitProblem ? 'narrow invalid' : 'narrow'}
          placeholder={t('queue.noLimit')}
          value={limit}
          aria-invalid={limitProblem !== null}
          aria-describedby={limitProblem ? 'limit-problem' : undefined}
          title={t('queue.limitHelp')}
          onChange={(e) => setLimit(e.target.value)}
          onBlur={commitLimit}
          onKeyDown={(e) => e.key === 'Enter' && commitLimit()}
        />
        {limitProblem && (
          <span ref={limitProblemRef} id="limit-problem" className="field-problem" role="alert" data-testid="limit-problem">
            {t(limitProblemKey(limitProblem))}
          </span>
        )}
      </label>
      <label className="check">
        <input
          type="checkbox"
          checked={windowOn}
          onChange={(e) => {
            setWindowOn(e.target.checked);
            sendWindow(e.target.checked ? (scheduleWindowOf(start, end) ?? DEFAULT_WINDOW) : null);
          }}
        />
        {t('queue.window')}
      </label>
      <TimeOfDayField
        label={t('queue.windowStart')}
        value={start}
        locale={locale}
        disabled={!windowOn}
        onFocus={() => (editing.current = 'start')}
        onBlur={() => (editing.current = null)}
        onCommit={(hhmm) => {
          setStart(hhmm);
          commitWindow(hhmm, end);
        }}
      />
      <span aria-hidden="true">–</span>
      <TimeOfDayField
        label={t('queue.windowEnd')}
        value={end}
        locale={locale}
        disabled={!windowOn}
        onFocus={() => (editing.current = 'end')}
        onBlur={() => (editing.current = null)}
        onCommit={(hhmm) => {
          setEnd(hhmm);
          commitWindow(start, hhmm);
        }}
      />
    </div>
  );
}
