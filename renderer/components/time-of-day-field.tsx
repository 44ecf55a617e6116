/**
 * A time-of-day field that writes and reads the system's clock: it shows "22:00" or "10:00 PM" as
 * the display locale does (lib/format.ts), takes either form as typed, and says under itself when
 * what was typed is not a time. The browser's own time input follows the browser's locale instead,
 * which mixed 12 h fields with 24 h rows.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { useKeepInView } from '../hooks/use-keep-in-view.js';
import { useTranslation } from 'react-i18next';
import { formatTimeOfDay, parseTimeOfDay } from '../lib/format.js';

/** Props of the field. */
export interface TimeOfDayFieldProps {
  /** The time as "HH:MM" (24 h). */
  readonly value: string;
  readonly locale: string;
  readonly label: string;
  readonly disabled?: boolean;
  readonly onFocus?: () => void;
  /** A valid time was entered ("HH:MM"), on blur or Enter. */
  readonly onCommit: (hhmm: string) => void;
  /** Editing ended (blur), whether or not the time was valid. */
  readonly onBlur?: () => void;
}

/** The field, with its inline message when what was typed is not a time of day. */
export function TimeOfDayField({ value, locale, label, disabled = false, onFocus, onCommit, onBlur }: TimeOfDayFieldProps) {
  const { t } = useTranslation();
  const [text, setText] = useState(() => formatTimeOfDay(value, locale));
  const [focused, setFocused] = useState(false);
  const [invalid, setInvalid] = useState(false);
  const problemId = useId();
  const problem = useRef<HTMLSpanElement>(null);
  useKeepInView(problem, invalid);
  // What main holds (or the locale) changed while the field is not being edited: show it.
  useEffect(() => {
    if (!focused) setText(formatTimeOfDay(value, locale));
  }, [value, locale, focused]);

  const commit = () => {
    const hhmm = parseTimeOfDay(text);
    setInvalid(hhmm === null);
    if (hhmm === null) return;
    setText(formatTimeOfDay(hhmm, locale));
    onCommit(hhmm);
  };
  return (
    <span className="time-field">
      <input
        type="text"
        className={invalid ? 'time-input invalid' : 'time-input'}
        aria-label={label}
        aria-invalid={invalid}
        aria-describedby={invalid ? problemId : undefined}
        value={text}
        disabled={disabled}
        onFocus={() => {
          setFocused(true);
          onFocus?.();
        }}
        onChange={(e) => setText(e.target.value)}
        onBlur={() => {
          setFocused(false);
          commit();
          onBlur?.();
        }}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
      {invalid && (
        <span ref={problem} id={problemId} className="field-problem" role="alert">
          {t('queue.timeInvalid', { example: formatTimeOfDay('22:00', locale) })}
        </span>
      )}
    </span>
  );
}
