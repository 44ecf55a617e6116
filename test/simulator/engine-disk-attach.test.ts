/**
 * POST /vms/{vm}/diskattachments (AttachDiskToVm), how a restore ends: 201 with the attachment and
 * the disk in the VM's list; `interface` and the disk are mandatory; a disk that is attached already
 * (here or to another VM), locked, or unknown is refused.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDisk, startHarness, waitFor, type Harness } from './engine-harness.js';

describe('attaching a disk to a VM', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ version: '4.3' });
  });
  afterAll(async () => h.close());

  const okDisk = async (name: string) => {
    const id = await createDisk(h, { name });
    await waitFor(() => (h.engine.state.disks.get(id)?.status === 'ok' ? true : undefined), 3000, 'disk ok');
    return id;
  };

  test('201 with the attachment; the VM lists the disk; a second attach is refused', async () => {
    const vm = h.engine.vms.create({ name: 'attach-1', status: 'up' });
    const disk = await okDisk('restored-1');
    const res = await h.api('POST', `/vms/${vm.id}/diskattachments`, { disk: { id: disk }, interface: 'virtio_scsi', bootable: 'false', active: 'true' });
    expect(res.status, res.text).toBe(201);
    expect(res.json()).toMatchObject({ id: disk, interface: 'virtio_scsi', active: 'true', disk: { id: disk }, vm: { id: vm.id } });
    const list = (await h.api('GET', `/vms/${vm.id}/diskattachments`)).json()['disk_attachment'] as Array<Record<string, unknown>>;
    expect(list.map((a) => a['id'])).toEqual([disk]);
    const again = await h.api('POST', `/vms/${vm.id}/diskattachments`, { disk: { id: disk }, interface: 'virtio_scsi' });
    expect(again.status).toBe(409);
    expect(again.json()['detail']).toMatch(/Cannot attach Virtual Disk\. The disk is already attached to VM attach-1\./);
    const other = h.engine.vms.create({ name: 'attach-2' });
    const elsewhere = await h.api('POST', `/vms/${other.id}/diskattachments`, { disk: { id: disk }, interface: 'virtio_scsi' });
    expect(elsewhere.status).toBe(409);
    expect(elsewhere.json()['detail']).toMatch(/is not shareable and is already attached to VM attach-1/);
  });

  test('interface and disk are mandatory; an unknown disk is 404; a locked one 409', async () => {
    const vm = h.engine.vms.create({ name: 'attach-3' });
    const disk = await okDisk('restored-2');
    const bare = await h.api('POST', `/vms/${vm.id}/diskattachments`, { disk: { id: disk } });
    expect(bare.status).toBe(400);
    expect(bare.json()).toEqual({ reason: 'Incomplete parameters', detail: 'DiskAttachment [interface] required for add' });
    const unknown = await h.api('POST', `/vms/${vm.id}/diskattachments`, { disk: { id: '00000000-0000-0000-0000-000000000000' }, interface: 'virtio' });
    expect(unknown.status).toBe(404);
    h.engine.state.disks.get(disk)!.status = 'locked';
    const locked = await h.api('POST', `/vms/${vm.id}/diskattachments`, { disk: { id: disk }, interface: 'virtio' });
    expect(locked.status).toBe(409);
    expect(locked.json()['detail']).toMatch(/Disk restored-2 is locked/);
  });
});
