/** The backup answers of reference/backup.md §3a as the client reads them, and broken ones. */
import { describe, expect, it } from 'vitest';
import { parseBackup, parseBackupDisk, parseCheckpoint, parseDiskSnapshot, parseSnapshot, parseSnapshotDisk } from '../../../main/engine/ovirt/backup-schemas.js';

describe('backup schemas', () => {
  it('reads a backup as the engine writes it: epoch-ms dates, links, host and snapshot refs', () => {
    const b = parseBackup({
      creation_date: 1700000000000,
      modification_date: 1700000000000,
      description: 'nightly',
      from_checkpoint_id: 'CP1',
      to_checkpoint_id: 'CP2',
      phase: 'READY',
      host: { href: '/ovirt-engine/api/hosts/H', id: 'H' },
      vm: { href: '/ovirt-engine/api/vms/VM', id: 'VM' },
      actions: { link: [{ href: '/ovirt-engine/api/vms/VM/backups/B/finalize', rel: 'finalize' }] },
      link: [{ href: '/ovirt-engine/api/vms/VM/backups/B/disks', rel: 'disks' }],
      href: '/ovirt-engine/api/vms/VM/backups/B',
      id: 'B',
    });
    expect(b).toEqual({ id: 'B', vmId: 'VM', phase: 'ready', fromCheckpointId: 'CP1', toCheckpointId: 'CP2', description: 'nightly', createdAt: 1700000000000, modifiedAt: 1700000000000, hostId: 'H', snapshotId: null });
  });

  it('reads backup disks with string numbers, and checkpoints without a parent at the root', () => {
    expect(parseBackupDisk({ id: 'D1', image_id: 'V1', alias: 'vm1_Disk1', format: 'cow', backup_mode: 'incremental', provisioned_size: '10737418240' })).toEqual({
      id: 'D1',
      name: 'vm1_Disk1',
      format: 'cow',
      provisionedSize: 10737418240,
      backupMode: 'incremental',
    });
    expect(parseCheckpoint({ id: 'CP1', creation_date: 1699990000000, state: 'created' })).toMatchObject({ id: 'CP1', parentId: null, state: 'created' });
    expect(parseSnapshot({ id: 'S', snapshot_status: 'locked', persist_memorystate: 'false', date: 1 })).toMatchObject({ status: 'locked', persistMemory: false, createdAt: 1 });
    expect(parseDiskSnapshot({ id: 'V2', parent: { id: 'V1' }, disk: { id: 'D' }, snapshot: { id: 'S' } })).toMatchObject({ volumeId: 'V2', parentId: 'V1', diskId: 'D', snapshotId: 'S' });
  });

  it('a broken answer is a protocol error naming the field, never echoing the body', () => {
    expect(() => parseBackup({ id: 'B' })).toThrow(expect.objectContaining({ code: 'protocol', message: expect.stringContaining('phase') }));
    expect(() => parseBackupDisk({ id: 'D', format: 'qcow9' })).toThrow(expect.objectContaining({ code: 'protocol' }));
    expect(() => parseSnapshotDisk({ id: 'D', format: 'cow' })).toThrow(expect.objectContaining({ code: 'protocol', message: expect.stringContaining('image_id') }));
    expect(() => parseBackup({ id: 'B', phase: 'ready', creation_date: 'yesterday' })).toThrow(expect.objectContaining({ code: 'protocol' }));
  });
});
