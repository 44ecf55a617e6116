import { describe, expect, it } from 'vitest';
import type { TransferView } from '../../shared/ipc.js';
import { errorHint, phaseText, rowActions, toneOf } from '../../renderer/lib/transfer-text.js';

type Phaseable = Pick<TransferView, 'state' | 'direction' | 'start' | 'error'>;
const base: Phaseable = { state: 'queued', direction: 'upload', start: 'now', error: null };

describe('transfer phase in words', () => {
  it('says when a windowed job starts', () => {
    expect(phaseText({ ...base, start: 'window' }, { start: '22:00', end: '06:00' })).toEqual({ key: 'phase.queuedWindow', params: { start: '22:00' }, tone: 'pending' });
    expect(phaseText({ ...base, state: 'waiting' }, { start: '22:00', end: '06:00' }).key).toBe('phase.queuedWindow');
    expect(phaseText(base, null).key).toBe('phase.queued');
  });

  it('distinguishes preparing an upload (creating the disk) from a download', () => {
    expect(phaseText({ ...base, state: 'preparing' }, null).key).toBe('phase.preparingUpload');
    expect(phaseText({ ...base, state: 'preparing', direction: 'download' }, null).key).toBe('phase.preparingDownload');
  });

  it('gives a failure its reason and a fix', () => {
    const error = { code: 'tls-untrusted' as const, message: 'The host certificate is not trusted.', retryable: false };
    const p = phaseText({ ...base, state: 'failed', error }, null);
    expect(p).toEqual({ key: 'phase.failed', params: { reason: 'The host certificate is not trusted.' }, tone: 'error' });
    expect(errorHint(error)?.key).toBe('hint.tls-untrusted');
  });

  it('adds nothing to a cancel', () => {
    expect(errorHint({ code: 'cancelled', message: 'Cancelled.', retryable: false })).toBeNull();
    expect(errorHint(null)).toBeNull();
  });

  it('maps every state to a tone', () => {
    expect(toneOf('transferring')).toBe('active');
    expect(toneOf('paused')).toBe('paused');
    expect(toneOf('completed')).toBe('done');
    expect(toneOf('cancelled')).toBe('muted');
  });

  it('orders the allowed actions the same way every time', () => {
    const actions = { pause: false, resume: true, cancel: true, retry: false, remove: false, reveal: true, move: true, startNow: false, retarget: false };
    expect(rowActions(actions)).toEqual(['resume', 'cancel', 'reveal']);
  });
});
