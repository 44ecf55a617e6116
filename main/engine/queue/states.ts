/**
 * The one place a queued job's state changes: a pure, exhaustive transition function from (state,
 * event) to the next state (architecture.md, "Client-side transfer states"). The queue turns what
 * happens (a slot frees up, the window closes, a run ends) into events and stores what this returns.
 */
import type { TransferState } from '../../../shared/model.js';

/** The phases a running transfer reports through its progress (the queue follows them). */
export type RunPhase = 'preparing' | 'initializing' | 'transferring' | 'finalizing' | 'verifying';

/** Everything that can happen to a job. Facts the function needs travel in the event. */
export type JobEvent =
  /** A slot is free and the job may run now. */
  | { readonly type: 'start' }
  /** The running transfer reports the phase it is in. */
  | { readonly type: 'phase'; readonly phase: RunPhase }
  /** The schedule window closed: pending jobs wait, running ones are held (paused or stopped). */
  | { readonly type: 'window-closed' }
  /** The schedule window opened; `held` when the job still has a paused run to continue. */
  | { readonly type: 'window-opened'; readonly held: boolean }
  /** The user pauses the job (a run is paused, a pending job is kept back). */
  | { readonly type: 'pause' }
  /** The user resumes; `held` when a paused run continues (else the job queues again). */
  | { readonly type: 'resume'; readonly held: boolean }
  /** The user cancels a job without a run, or a cancelled run has ended. */
  | { readonly type: 'cancel' }
  /** The run finished successfully. */
  | { readonly type: 'succeeded' }
  /** The run failed; `retry` when the failure is retryable and attempts are left. */
  | { readonly type: 'failed'; readonly retry: boolean }
  /** The run was stopped because the window closed (a download keeps its journal). */
  | { readonly type: 'held' }
  /** The backoff delay of a retrying job is over. */
  | { readonly type: 'retry-due' }
  /** The user asks for another try of a failed, cancelled or retrying job. */
  | { readonly type: 'retry' }
  /** The queue stopped (restart after a crash, or shutdown) while the job had a run. */
  | { readonly type: 'interrupted' };

const ACTIVE: ReadonlySet<TransferState> = new Set(['preparing', 'initializing', 'transferring', 'finalizing', 'verifying']);
/** Active states in which a run can still be paused or held (finalize and verify are left to finish). */
const HOLDABLE: ReadonlySet<TransferState> = new Set(['preparing', 'initializing', 'transferring']);

/** True while a run moves the job along (it holds an engine session or is about to). */
export function isActive(state: TransferState): boolean {
  return ACTIVE.has(state);
}

/** True when nothing more happens to the job unless the user retries it. */
export function isTerminal(state: TransferState): boolean {
  return state === 'completed' || state === 'failed' || state === 'cancelled';
}

/** True while the job waits to run by itself (a slot, the window, or its backoff). */
export function isPending(state: TransferState): boolean {
  return state === 'queued' || state === 'waiting' || state === 'retrying';
}

/** True when a run in this state can be paused by the user or held by the window. */
export function isHoldable(state: TransferState): boolean {
  return HOLDABLE.has(state);
}

/**
 * The next state, or null when the event does not apply in this state (the caller then changes
 * nothing; for a user action it reports "not now"). Exhaustive over the events: adding one without a
 * case here does not compile.
 */
export function nextState(state: TransferState, event: JobEvent): TransferState | null {
  switch (event.type) {
    case 'start':
      return state === 'queued' ? 'preparing' : null;
    case 'phase':
      return isActive(state) ? event.phase : null;
    case 'window-closed':
      return state === 'queued' || isHoldable(state) ? 'waiting' : null;
    case 'window-opened':
      if (state !== 'waiting') return null;
      return event.held ? 'transferring' : 'queued';
    case 'pause':
      return isPending(state) || isHoldable(state) ? 'paused' : null;
    case 'resume':
      if (state !== 'paused') return null;
      return event.held ? 'transferring' : 'queued';
    case 'cancel':
      return isTerminal(state) ? null : 'cancelled';
    case 'succeeded':
      // A run may end while paused by the user or held by the window (it was finalizing).
      return isActive(state) || state === 'paused' || state === 'waiting' ? 'completed' : null;
    case 'failed':
      if (!(isActive(state) || state === 'paused' || state === 'waiting')) return null;
      return event.retry ? 'retrying' : 'failed';
    case 'held':
      return isActive(state) || state === 'waiting' ? 'waiting' : null;
    case 'retry-due':
      return state === 'retrying' ? 'queued' : null;
    case 'retry':
      return state === 'failed' || state === 'cancelled' || state === 'retrying' ? 'queued' : null;
    case 'interrupted':
      // A job the user paused stays paused; one held by the window waits; any other run queues again
      // (the runner then resumes, re-attaches or cleans up what the run left on the engine).
      if (isActive(state)) return 'queued';
      return state === 'paused' || state === 'waiting' ? state : null;
  }
}
