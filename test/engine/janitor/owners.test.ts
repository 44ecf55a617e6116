/** Whose an engine transfer is, from the jobs of a queue: by its transfer id, or by its disk only for a job still going on. */
import { describe, expect, it } from 'vitest';
import { ownersOf } from '../../../main/engine/janitor/owners.js';
import type { QueueJob } from '../../../main/engine/queue/job.js';

/** The fields of a job that ownership reads (a queue job has many more). */
const job = (fields: Partial<QueueJob>): QueueJob => ({ id: '6590def5-0000-4000-8000-000000000001', kind: 'download', label: 'boot2', state: 'queued', transferId: null, diskId: 'disk-1', attempts: 1, error: null, ...fields }) as QueueJob;

describe('janitor: owners of queue jobs', () => {
  it('gives a job its own transfer, finished or not', async () => {
    const owners = await ownersOf({ queue: [job({ state: 'completed', transferId: 't1' })] });
    expect(owners.byTransfer.get('t1')).toMatchObject({ kind: 'queue', name: 'boot2', ref: '6590def5', live: false });
  });

  it("takes the open transfer of its disk for a job cut short before it learnt the id, never for a finished job's", async () => {
    // Killed while starting: the job is unfinished, its transfer id lost.
    const cut = await ownersOf({ queue: [job({ state: 'transferring' })] });
    expect(cut.byDisk.get('download:disk-1')).toMatchObject({ live: true });
    // Completed, cancelled or failed: its attempt closed its transfer; one on that disk now is another client's.
    for (const state of ['completed', 'cancelled', 'failed'] as const) expect((await ownersOf({ queue: [job({ state })] })).byDisk.size).toBe(0);
    // Refused because the disk was locked: it made no transfer.
    expect((await ownersOf({ queue: [job({ state: 'retrying', error: { code: 'conflict', message: 'locked', retryable: true, diskLocked: true } })] })).byDisk.size).toBe(0);
  });
});
