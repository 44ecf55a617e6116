/** What `queue run` prints per event: with --quiet only how each job ended (and its retries); no progress line before the size is known. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { QueueEventPrinter } from '../../main/cli/queue/output.js';
import type { QueueJob } from '../../main/engine/queue/job.js';
import type { TransferState } from '../../shared/model.js';

/** The fields of a job the printer reads (a queue job has many more). */
const job = (state: TransferState, bytesTotal: number | null, bytesDone = 0): QueueJob =>
  ({ id: 'ef85954b-0000-4000-8000-000000000001', kind: 'download', label: 'fedora-40-root', state, error: state === 'failed' ? { code: 'network', message: 'the engine went away' } : null, progress: { bytesDone, bytesTotal, rate: 1024 ** 2 }, result: null, activeMs: 0, attempts: 1, nextAttemptAt: null }) as unknown as QueueJob;

function printer(quiet: boolean): { print: QueueEventPrinter['print']; text: () => string } {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString()));
  const p = new QueueEventPrinter(out, false, quiet);
  return { print: (e) => p.print(e), text: () => chunks.join('') };
}

describe('queue run output', () => {
  it('prints no progress line before the size is known', () => {
    const p = printer(false);
    p.print({ type: 'progress', job: job('transferring', null) });
    p.print({ type: 'progress', job: job('transferring', 0) });
    expect(p.text()).toBe('');
    p.print({ type: 'progress', job: job('transferring', 10 * 1024 ** 2, 5 * 1024 ** 2) });
    expect(p.text()).toMatch(/^ef85954b fedora-40-root: 50(\.\d)?% of 10\.00 MiB, 1\.00 MiB\/s\n$/);
  });

  it('with --quiet prints how each job ended, not each step', () => {
    const p = printer(true);
    for (const state of ['preparing', 'initializing', 'transferring', 'finalizing'] as const) p.print({ type: 'state', from: 'queued', job: job(state, 10) });
    p.print({ type: 'progress', job: job('transferring', 10, 5) });
    expect(p.text()).toBe('');
    p.print({ type: 'state', from: 'transferring', job: job('failed', 10) });
    expect(p.text()).toBe('ef85954b fedora-40-root: failed: the engine went away\n');
  });
});
