/**
 * What the janitor calls stuck, and what it leaves alone (janitor.ts `condition`), and how idle
 * times are measured between listings (sightings.ts).
 */
import { describe, expect, it } from 'vitest';
import { condition, STUCK_AFTER_MS, type Owner } from '../../../main/engine/janitor/janitor.js';
import { Sightings } from '../../../main/engine/janitor/sightings.js';
import type { ImageTransfer } from '../../../main/engine/ovirt/types.js';

function transfer(patch: Partial<ImageTransfer>): ImageTransfer {
  return {
    id: 't1',
    phase: 'transferring',
    direction: 'download',
    format: 'raw',
    transferUrl: null,
    proxyUrl: null,
    signedTicket: null,
    diskId: 'd1',
    active: false,
    transferred: 0,
    inactivityTimeout: 60,
    timeoutPolicy: 'legacy',
    ...patch,
  };
}

const gone: Owner = { kind: 'process', label: 'diskferry download (process 7)', name: 'download', ref: '7', host: null, live: false };
const running: Owner = { kind: 'process', label: 'diskferry download (process 8)', name: 'download', ref: '8', host: null, live: true };
const queued: Owner = { kind: 'queue', label: 'queue job web (1234abcd)', name: 'web', ref: '1234abcd', host: null, live: true };

describe('janitor: condition', () => {
  it('leaves what someone is behind alone: our live runs, queued jobs, moving data', () => {
    expect(condition(transfer({}), running, null).condition).toBe('moving');
    expect(condition(transfer({ phase: 'paused_user', direction: 'upload' }), queued, 3_600_000).condition).toBe('held');
    expect(condition(transfer({ active: true }), null, null).condition).toBe('moving');
    expect(condition(transfer({}), null, 60_000).condition).toBe('moving');
    expect(condition(transfer({ phase: 'paused_user', direction: 'upload' }), null, 60_000)).toEqual({ condition: 'held', why: 'paused by its client', reason: 'paused-by-client' });
  });

  it('calls stuck what nobody is behind', () => {
    expect(condition(transfer({}), gone, null)).toEqual({ condition: 'stuck', why: 'diskferry download (process 7) is gone', reason: 'owner-gone' });
    expect(condition(transfer({ phase: 'paused_system', direction: 'upload' }), null, null).condition).toBe('stuck');
    expect(condition(transfer({}), null, STUCK_AFTER_MS).condition).toBe('stuck');
    // Quiet for less than twice its own inactivity timeout is not enough.
    expect(condition(transfer({ inactivityTimeout: 3600 }), null, STUCK_AFTER_MS).condition).toBe('moving');
  });

  it('does not touch what the engine is ending or has ended, and says when it cannot tell (4.1)', () => {
    expect(condition(transfer({ phase: 'finalizing_success' }), gone, null).condition).toBe('ending');
    expect(condition(transfer({ phase: 'cancelled_system' }), null, null).condition).toBe('ending');
    expect(condition(transfer({ phase: 'finished_success' }), null, null).condition).toBe('finished');
    expect(condition(transfer({ active: null, transferred: null, inactivityTimeout: null }), null, null).condition).toBe('unknown');
  });
});

describe('janitor: sightings', () => {
  it('measures idle time from the first listing that saw a transfer unchanged; any change starts again', async () => {
    const s = await Sightings.open(null);
    const t = transfer({ transferred: 100 });
    expect(s.update([t], 1000).get('t1')).toBeNull();
    expect(s.update([t], 61_000).get('t1')).toBe(60_000);
    expect(s.update([{ ...t, transferred: 200 }], 62_000).get('t1')).toBeNull();
    expect(s.update([{ ...t, transferred: 200 }], 70_000).get('t1')).toBe(8_000);
    expect(s.update([{ ...t, transferred: 200, active: true }], 80_000).get('t1')).toBeNull();
    // Forgotten once the engine no longer lists it.
    s.update([], 90_000);
    expect(s.update([t], 91_000).get('t1')).toBeNull();
  });
});
