/** The queue's one transition function: a table of (state, event) → next state, and its invariants. */
import { describe, expect, it } from 'vitest';
import type { TransferState } from '../../../shared/model.js';
import { isActive, isPending, isTerminal, nextState, type JobEvent } from '../../../main/engine/queue/states.js';

const STATES: TransferState[] = ['queued', 'waiting', 'preparing', 'initializing', 'transferring', 'paused', 'retrying', 'finalizing', 'verifying', 'completed', 'failed', 'cancelled'];

const EVENTS: JobEvent[] = [
  { type: 'start' },
  { type: 'phase', phase: 'initializing' },
  { type: 'window-closed' },
  { type: 'window-opened', held: false },
  { type: 'window-opened', held: true },
  { type: 'pause' },
  { type: 'resume', held: false },
  { type: 'resume', held: true },
  { type: 'cancel' },
  { type: 'succeeded' },
  { type: 'failed', retry: true },
  { type: 'failed', retry: false },
  { type: 'held' },
  { type: 'retry-due' },
  { type: 'retry' },
  { type: 'interrupted' },
];

// [state, event, expected next state or null]
const TABLE: Array<[TransferState, JobEvent, TransferState | null]> = [
  ['queued', { type: 'start' }, 'preparing'],
  ['waiting', { type: 'start' }, null],
  ['retrying', { type: 'start' }, null],
  ['preparing', { type: 'phase', phase: 'initializing' }, 'initializing'],
  ['initializing', { type: 'phase', phase: 'transferring' }, 'transferring'],
  ['transferring', { type: 'phase', phase: 'finalizing' }, 'finalizing'],
  ['finalizing', { type: 'phase', phase: 'verifying' }, 'verifying'],
  ['paused', { type: 'phase', phase: 'transferring' }, null],
  ['waiting', { type: 'phase', phase: 'transferring' }, null],
  ['queued', { type: 'window-closed' }, 'waiting'],
  ['transferring', { type: 'window-closed' }, 'waiting'],
  ['preparing', { type: 'window-closed' }, 'waiting'],
  ['finalizing', { type: 'window-closed' }, null],
  ['paused', { type: 'window-closed' }, null],
  ['retrying', { type: 'window-closed' }, null],
  ['waiting', { type: 'window-opened', held: false }, 'queued'],
  ['waiting', { type: 'window-opened', held: true }, 'transferring'],
  ['queued', { type: 'window-opened', held: false }, null],
  ['queued', { type: 'pause' }, 'paused'],
  ['retrying', { type: 'pause' }, 'paused'],
  ['transferring', { type: 'pause' }, 'paused'],
  ['finalizing', { type: 'pause' }, null],
  ['completed', { type: 'pause' }, null],
  ['paused', { type: 'resume', held: false }, 'queued'],
  ['paused', { type: 'resume', held: true }, 'transferring'],
  ['queued', { type: 'resume', held: false }, null],
  ['transferring', { type: 'cancel' }, 'cancelled'],
  ['waiting', { type: 'cancel' }, 'cancelled'],
  ['completed', { type: 'cancel' }, null],
  ['failed', { type: 'cancel' }, null],
  ['finalizing', { type: 'succeeded' }, 'completed'],
  ['waiting', { type: 'succeeded' }, 'completed'],
  ['queued', { type: 'succeeded' }, null],
  ['transferring', { type: 'failed', retry: true }, 'retrying'],
  ['transferring', { type: 'failed', retry: false }, 'failed'],
  ['paused', { type: 'failed', retry: false }, 'failed'],
  ['retrying', { type: 'failed', retry: true }, null],
  ['transferring', { type: 'held' }, 'waiting'],
  ['waiting', { type: 'held' }, 'waiting'],
  ['queued', { type: 'held' }, null],
  ['retrying', { type: 'retry-due' }, 'queued'],
  ['failed', { type: 'retry-due' }, null],
  ['failed', { type: 'retry' }, 'queued'],
  ['cancelled', { type: 'retry' }, 'queued'],
  ['retrying', { type: 'retry' }, 'queued'],
  ['completed', { type: 'retry' }, null],
  ['transferring', { type: 'interrupted' }, 'queued'],
  ['finalizing', { type: 'interrupted' }, 'queued'],
  ['paused', { type: 'interrupted' }, 'paused'],
  ['waiting', { type: 'interrupted' }, 'waiting'],
  ['completed', { type: 'interrupted' }, null],
];

describe('nextState', () => {
  it.each(TABLE)('%s + %j → %s', (state, event, expected) => {
    expect(nextState(state, event)).toBe(expected);
  });

  it('answers every state and event with a state or null, never throwing', () => {
    for (const s of STATES) for (const e of EVENTS) expect(nextState(s, e) === null || STATES.includes(nextState(s, e)!)).toBe(true);
  });

  it('leaves completed only by nothing, and failed or cancelled only by retry', () => {
    for (const e of EVENTS) {
      expect(nextState('completed', e), `completed + ${e.type}`).toBeNull();
      for (const s of ['failed', 'cancelled'] as const) expect(nextState(s, e), `${s} + ${e.type}`).toBe(e.type === 'retry' ? 'queued' : null);
    }
  });

  it('reaches completed only from a run that succeeded', () => {
    for (const s of STATES) for (const e of EVENTS) if (nextState(s, e) === 'completed') expect(e.type).toBe('succeeded');
  });

  it('never starts a job that is not queued', () => {
    for (const s of STATES) if (s !== 'queued') expect(nextState(s, { type: 'start' })).toBeNull();
  });

  it('classifies states without overlap', () => {
    for (const s of STATES) expect([isActive(s), isPending(s), isTerminal(s), s === 'paused'].filter(Boolean)).toHaveLength(1);
  });
});
