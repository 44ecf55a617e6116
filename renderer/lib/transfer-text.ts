/**
 * What a transfer row says, as i18n keys with their parameters: the phase in words, and for a
 * failure the reason and what to do. Pure (the component translates the keys), so it is tested
 * without React.
 */
import type { ErrorCode, ErrorInfo } from '../../shared/errors.js';
import type { ScheduleWindow, TransferState, TransferView } from '../../shared/ipc.js';

/** How a row is tinted. */
export type Tone = 'active' | 'pending' | 'paused' | 'done' | 'error' | 'muted';

/** A message to translate. */
export interface Phrase {
  readonly key: string;
  readonly params?: Readonly<Record<string, string | number>>;
}

/** The phase line of a row. */
export interface PhaseText extends Phrase {
  readonly tone: Tone;
}

const TONES: Record<TransferState, Tone> = {
  queued: 'pending',
  waiting: 'pending',
  preparing: 'active',
  initializing: 'active',
  transferring: 'active',
  paused: 'paused',
  retrying: 'pending',
  finalizing: 'active',
  verifying: 'active',
  completed: 'done',
  failed: 'error',
  cancelled: 'muted',
};

/** The tone of a state. */
export function toneOf(state: TransferState): Tone {
  return TONES[state];
}

/** The phase of a transfer in words: "preparing the disk", "waiting for the engine", "queued — starts at 22:00"… */
export function phaseText(t: Pick<TransferView, 'state' | 'direction' | 'start' | 'error'>, window: ScheduleWindow | null): PhaseText {
  const tone = toneOf(t.state);
  switch (t.state) {
    case 'queued':
      return t.start === 'window' && window ? { key: 'phase.queuedWindow', params: { start: window.start }, tone } : { key: 'phase.queued', tone };
    case 'waiting':
      return window ? { key: 'phase.queuedWindow', params: { start: window.start }, tone } : { key: 'phase.waiting', tone };
    case 'preparing':
      return { key: t.direction === 'upload' ? 'phase.preparingUpload' : 'phase.preparingDownload', tone };
    case 'retrying':
      return { key: 'phase.retrying', params: { reason: t.error?.message ?? '' }, tone };
    case 'failed':
      return { key: 'phase.failed', params: { reason: t.error?.message ?? '' }, tone };
    default:
      return { key: `phase.${t.state}`, tone };
  }
}

/** Error codes whose fix is worth saying beside the engine's own words. */
const HINTED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'bad-input',
  'unsupported-image',
  'image-changed',
  'auth-failed',
  'session-expired',
  'tls-untrusted',
  'network',
  'engine-fault',
  'not-found',
  'conflict',
  'domain-full',
  'vm-running',
  'ticket-gone',
  'server-error',
  'protocol',
  'transfer-failed',
  'verification-failed',
  'timeout',
  'disk-full',
  'io',
  'internal',
]);

/** What to do about an error, or null when there is nothing to add (a cancel). */
export function errorHint(error: ErrorInfo | null): Phrase | null {
  if (!error || !HINTED.has(error.code)) return null;
  return { key: error.diskLocked ? 'hint.diskLocked' : `hint.${error.code}`, params: { retry: error.retryable ? 'yes' : 'no' } };
}

/** The action keys a row shows, in order, from the actions main allows. */
export type RowAction = 'pause' | 'resume' | 'cancel' | 'retry' | 'remove' | 'reveal';

/** Visible row actions: main says which apply; the row shows them in one stable order. */
export function rowActions(actions: TransferView['actions']): RowAction[] {
  const order: RowAction[] = ['pause', 'resume', 'retry', 'cancel', 'reveal', 'remove'];
  return order.filter((a) => actions[a]);
}

/** The row's name: a restore says what it restores ("Restore of disk x from <run time>"), any other transfer its name. */
export function transferTitle(tr: Pick<TransferView, 'name' | 'restore'>, formatTime: (epochMs: number | null) => string): Phrase | null {
  const r = tr.restore;
  if (!r) return null;
  return r.diskAlias !== null ? { key: 'backups.rowTitle', params: { disk: r.diskAlias, time: formatTime(r.runStartedAt) } } : { key: 'backups.rowTitleFile', params: { name: tr.name } };
}
