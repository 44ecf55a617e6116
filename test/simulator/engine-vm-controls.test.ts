/** The VM controls over the admin endpoint: make a VM, start it, write into its disk as its guest. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDisk, startHarness, type Harness } from './engine-harness.js';

describe('VM controls over /ovirt-engine/__simulator/', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ version: '4.5' });
  });
  afterAll(async () => h.close());

  const post = (what: string, body: unknown) =>
    h.fetch('POST', `/ovirt-engine/__simulator/${what}`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  test('create a down VM with a disk by name, refuse guest writes, start it, write and zero', async () => {
    const diskId = await createDisk(h, { name: 'ctl-disk', format: 'cow', provisioned_size: 8 * 1024 * 1024 });
    const made = await post('vms', { name: 'ctl-vm', status: 'down', disks: ['ctl-disk'] });
    expect(made.status).toBe(200);
    const vmId = String(made.json()['id']);
    expect((await h.api('GET', `/vms/${vmId}`)).json()).toMatchObject({ name: 'ctl-vm', status: 'down' });

    const refused = await post('guest-write', { disk: diskId, offset: 0, data: Buffer.from('hello').toString('base64') });
    expect(refused.status).toBe(400);
    expect(String(refused.json()['detail'])).toMatch(/not plugged into a running VM.*Start VM 'ctl-vm' first/);

    expect((await post('vm-status', { vm: 'ctl-vm', status: 'up' })).status).toBe(200);
    expect(((await h.api('GET', `/vms/${vmId}`)).json()['host'] as Record<string, unknown>)['id']).toEqual(expect.any(String));
    expect((await post('guest-write', { disk: 'ctl-disk', offset: 65536, data: Buffer.from('hello').toString('base64') })).status).toBe(200);
    const image = h.images.get(diskId)!;
    expect((await image.read(65536, 5)).toString()).toBe('hello');
    expect((await post('guest-write', { disk: 'ctl-disk', offset: 65536, length: 65536, zero: true })).status).toBe(200);
    expect((await image.read(65536, 5)).equals(Buffer.alloc(5))).toBe(true);

    const outside = await post('guest-write', { disk: 'ctl-disk', offset: 8 * 1024 * 1024, data: Buffer.from('x').toString('base64') });
    expect([outside.status, String(outside.json()['detail'])]).toEqual([400, "The range 8388608+1 is outside disk 'ctl-disk' (8388608 bytes)."]);
    expect((await post('vm-status', { vm: 'ctl-vm', status: 'flying' })).status).toBe(400);
    expect((await post('vms', { name: 'ctl-vm' })).status).toBe(400);
  });
});
