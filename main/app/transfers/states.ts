/**
 * The one place a transfer's state changes in the app core: a pure, exhaustive transition function
 * from (state, event) to the next state, or null when the event does not apply in that state.
 */
import type { TransferState } from '../../../shared/model.js';

/** What can happen to a transfer. */
export type TransferEvent =
  /** A slot is free (and the schedule window open): the run begins. */
  | { readonly type: 'start' }
  /** The schedule window is closed for a `start: 'window'` job. */
  | { readonly type: 'hold' }
  /** The engine code reports the phase it is in (preparing … finalizing, paused while paused). */
  | { readonly type: 'phase'; readonly state: TransferState }
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'cancel' }
  | { readonly type: 'succeed' }
  /** The run failed; `willRetry` when another attempt is due. */
  | { readonly type: 'fail'; readonly willRetry: boolean }
  /** The retry delay ended, or the user asked for a retry of a finished transfer. */
  | { readonly type: 'retry' }
  /** The app restarted while the transfer ran: downloads resume from their journal, uploads cannot. */
  | { readonly type: 'recover'; readonly resumable: boolean };

const RUNNING: ReadonlySet<TransferState> = new Set(['preparing', 'initializing', 'transferring', 'finalizing', 'verifying']);
const ENGINE_PHASES: ReadonlySet<TransferState> = new Set(['preparing', 'initializing', 'transferring', 'paused', 'finalizing', 'verifying']);

/** True while a run is in progress (including a paused data phase, which holds its engine session). */
export function isActive(state: TransferState): boolean {
  return RUNNING.has(state);
}

/** True when nothing more happens unless the user retries. */
export function isFinished(state: TransferState): boolean {
  return state === 'completed' || state === 'failed' || state === 'cancelled';
}

/** True while the job waits for its turn. */
export function isPending(state: TransferState): boolean {
  return state === 'queued' || state === 'waiting' || state === 'retrying';
}

/**
 * The next state, or null when `event` does not apply to `state`. `running` says whether a run
 * (an engine session) exists: pause and resume then act on it, else on the waiting job.
 */
export function nextState(state: TransferState, event: TransferEvent, running: boolean): TransferState | null {
  switch (event.type) {
    case 'start':
      return state === 'queued' || state === 'waiting' ? 'preparing' : null;
    case 'hold':
      return state === 'queued' ? 'waiting' : null;
    case 'phase':
      if (!running || !ENGINE_PHASES.has(event.state)) return null;
      return isActive(state) || state === 'paused' ? event.state : null;
    case 'pause':
      if (running) return isActive(state) ? 'paused' : null;
      return isPending(state) ? 'paused' : null;
    case 'resume':
      if (state !== 'paused') return null;
      return running ? 'transferring' : 'queued';
    case 'cancel':
      return isFinished(state) ? null : 'cancelled';
    case 'succeed':
      return running ? 'completed' : null;
    case 'fail':
      return running && !isFinished(state) ? (event.willRetry ? 'retrying' : 'failed') : null;
    case 'retry':
      return state === 'retrying' || state === 'failed' || state === 'cancelled' ? 'queued' : null;
    case 'recover':
      if (isActive(state) || (state === 'paused' && running)) return event.resumable ? 'queued' : 'failed';
      return state === 'paused' || isPending(state) || isFinished(state) ? state : null;
  }
}
