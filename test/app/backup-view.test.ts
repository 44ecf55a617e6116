/**
 * A backup job's disks in the window (record.ts `backupView`): the run takes the VM's disks in order
 * and counts the disks before the current one whole, so each disk's share and state follow from the
 * job's progress and the sizes its plan saw; once done, each disk's result is the manifest's.
 */
import { describe, expect, it } from 'vitest';
import { backupView, type TransferMeta } from '../../main/app/transfers/record.js';
import { createJob, type QueueJob } from '../../main/engine/queue/job.js';

const meta: TransferMeta = {
  direction: 'download',
  engineName: 'lab',
  name: 'db-01',
  localPath: '/backups/db-01-12345678',
  diskName: 'db-01',
  storageDomainName: null,
  localFormat: 'qcow2',
  diskFormat: null,
  bytesTotal: 300,
  notes: [],
  backup: {
    kind: 'incremental',
    disks: [
      { id: 'a', name: 'db-01-os', size: 100 },
      { id: 'b', name: 'db-01-data', size: 200 },
    ],
  },
};

function job(over: Partial<QueueJob>): QueueJob & { kind: 'backup' } {
  const j = createJob({ kind: 'backup', engine: 'e1', backup: { vmId: 'vm1', vmName: 'db-01', outputDir: '/backups', mode: 'auto' } }, 'j1', 0);
  return { ...j, ...over } as QueueJob & { kind: 'backup' };
}
const progress = (bytesDone: number) => ({ bytesDone, bytesTotal: 300, bytesOnWire: bytesDone, rate: null });
const states = (j: QueueJob & { kind: 'backup' }) => backupView(j, meta).disks.map((d) => [d.state, d.bytesDone]);

describe('backupView', () => {
  it('a queued job: every disk waits, the kind its plan said', () => {
    expect(backupView(job({}), meta)).toMatchObject({ vmName: 'db-01', mode: 'auto', kind: 'incremental', runDir: null });
    expect(states(job({}))).toEqual([
      ['waiting', 0],
      ['waiting', 0],
    ]);
  });

  it('a running job: the disks before the current one done, the current one running with its share', () => {
    expect(states(job({ state: 'transferring', startedAt: 1, progress: progress(40) }))).toEqual([
      ['running', 40],
      ['waiting', 0],
    ]);
    expect(states(job({ state: 'transferring', startedAt: 1, progress: progress(150) }))).toEqual([
      ['done', 100],
      ['running', 50],
    ]);
  });

  it('a failed or cancelled job: the disk it stopped on failed, the rest not reached', () => {
    expect(states(job({ state: 'failed', startedAt: 1, progress: progress(120) }))).toEqual([
      ['done', 100],
      ['failed', 20],
    ]);
    expect(states(job({ state: 'paused', startedAt: 1, progress: progress(20) }))).toEqual([
      ['waiting', 20],
      ['waiting', 0],
    ]);
  });

  it('a completed job: each disk as the manifest says, and the run folder', () => {
    const result = {
      diskId: 'vm1',
      diskName: 'db-01',
      path: '/backups/db-01-12345678/20261206T221500Z-full',
      virtualSize: 300,
      dataBytes: 30,
      resumedBytes: 0,
      bytesOnWire: 30,
      digest: null,
      backup: { kind: 'full' as const, disks: [{ id: 'a', alias: 'db-01-os', virtualSize: 100, dataBytes: 10, mode: 'full' as const }, { id: 'b', alias: 'db-01-data', virtualSize: 200, dataBytes: 20, mode: 'full' as const }] },
    };
    expect(backupView(job({ state: 'completed', startedAt: 1, progress: progress(300), result }), meta)).toEqual({
      vmId: 'vm1',
      vmName: 'db-01',
      mode: 'auto',
      // The engine refused the checkpoint: the run made a full backup, not the incremental the plan said.
      kind: 'full',
      runDir: result.path,
      disks: [
        { id: 'a', name: 'db-01-os', size: 100, bytesDone: 100, state: 'done', dataBytes: 10, mode: 'full' },
        { id: 'b', name: 'db-01-data', size: 200, bytesDone: 200, state: 'done', dataBytes: 20, mode: 'full' },
      ],
    });
  });
});
