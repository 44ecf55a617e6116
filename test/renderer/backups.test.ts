import { describe, expect, it } from 'vitest';
import type { BackupVmView } from '../../shared/ipc.js';
import { filterVms } from '../../renderer/lib/backup-filter.js';
import { transferTitle } from '../../renderer/lib/transfer-text.js';

const vm = (vmId: string | null, vmName: string): BackupVmView => ({ folder: `${vmName}-x`, path: `/b/${vmName}-x`, vmId, vmName, runs: [] });

describe('the Backups… sheet for one VM', () => {
  const vms = [vm('id-1', 'web-01'), vm('id-2', 'db-01'), vm(null, 'old-01')];

  it('shows every VM without a filter, one by id (a renamed VM keeps its id), else by name', () => {
    expect(filterVms(vms, { vmId: null, vmName: null })).toHaveLength(3);
    expect(filterVms(vms, { vmId: 'id-2', vmName: 'renamed' }).map((v) => v.vmName)).toEqual(['db-01']);
    expect(filterVms(vms, { vmId: null, vmName: 'old-01' }).map((v) => v.vmName)).toEqual(['old-01']);
    expect(filterVms(vms, { vmId: 'id-9', vmName: null })).toEqual([]);
  });
});

describe('a restore row’s name', () => {
  const time = (ms: number | null) => (ms === null ? '?' : new Date(ms).toISOString());

  it('says which disk it restores from which run; a plain file by its name; other transfers keep theirs', () => {
    expect(transferTitle({ name: 'web-01-disk1', restore: { diskAlias: 'web-01-disk1', vmName: 'web-01', runStartedAt: 0, attachVmName: null } }, time)).toEqual({
      key: 'backups.rowTitle',
      params: { disk: 'web-01-disk1', time: '1970-01-01T00:00:00.000Z' },
    });
    expect(transferTitle({ name: 'disk.qcow2', restore: { diskAlias: null, vmName: null, runStartedAt: null, attachVmName: 'web-01' } }, time)).toEqual({ key: 'backups.rowTitleFile', params: { name: 'disk.qcow2' } });
    expect(transferTitle({ name: 'fedora.raw', restore: null }, time)).toBeNull();
  });
});
