/**
 * VM snapshots and disk-snapshot downloads (reference/backup.md §12): create without memory,
 * locked → ok, the point-in-time volume, collapsed and shallow downloads while the VM writes, and
 * removal rules.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, startTransfer, waitFor, type Harness } from './engine-harness.js';
import { backupVm, endTransfer, imageio, MiB } from './backup-harness.js';

type Json = Record<string, unknown>;

describe('4.5: snapshots', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ version: '4.5', realImageio: true });
  });
  afterAll(async () => h.close());

  async function snapshot(vmId: string, body: Json): Promise<Json> {
    const res = await h.api('POST', `/vms/${vmId}/snapshots`, body);
    expect(res.status, res.text).toBe(202);
    const s = res.json();
    await waitFor(async () => ((await h.api('GET', `/vms/${vmId}/snapshots/${String(s['id'])}`)).json()['snapshot_status'] === 'ok' ? true : undefined), 3000, 'snapshot ok');
    return s;
  }

  test('description is mandatory; the answer is locked, then ok; persist_memorystate as asked', async () => {
    const { vmId } = await backupVm(h, 'snap-basic');
    const missing = await h.api('POST', `/vms/${vmId}/snapshots`, {});
    expect(missing.status).toBe(400);
    expect(missing.json()).toEqual({ reason: 'Incomplete parameters', detail: 'Snapshot [description] required for add' });
    const res = await h.api('POST', `/vms/${vmId}/snapshots`, { description: 'bk-1', persist_memorystate: 'false' });
    expect(res.json()).toMatchObject({ snapshot_status: 'locked', snapshot_type: 'regular', description: 'bk-1', persist_memorystate: 'false', vm: { id: vmId } });
    await waitFor(async () => ((await h.api('GET', `/vms/${vmId}/snapshots/${String(res.json()['id'])}`)).json()['snapshot_status'] === 'ok' ? true : undefined), 3000, 'ok');
  });

  test('the point-in-time volume: raw download is the disk at snapshot time, shallow only that layer', async () => {
    const { vmId, cow, raw } = await backupVm(h, 'snap-pit');
    const s = await snapshot(vmId, { description: 'first', persist_memorystate: 'false', disk_attachments: { disk_attachment: [{ disk: { id: cow } }] } });
    await h.engine.vms.write(cow, 2 * MiB, Buffer.alloc(MiB, 3));
    const s2 = await snapshot(vmId, { description: 'second', persist_memorystate: 'false', disk_attachments: { disk_attachment: [{ disk: { id: cow } }] } });
    await h.engine.vms.write(cow, 0, Buffer.alloc(4096, 4)); // after both: in neither

    const disks = (await h.api('GET', `/vms/${vmId}/snapshots/${String(s2['id'])}/disks`)).json()['disk'] as Json[];
    expect(disks.map((d) => d['id'])).toEqual([cow]);
    const volume = String(disks[0]!['image_id']);
    const chain = (await h.api('GET', `/disks/${cow}/disksnapshots`)).json()['disk_snapshot'] as Json[];
    expect(chain.map((v) => [(v['snapshot'] as Json)['id'], (v['parent'] as Json | undefined)?.['id']])).toEqual([
      [s['id'], undefined],
      [s2['id'], chain[0]!['id']],
    ]);
    expect(chain[1]!['id']).toBe(volume);
    expect(chain[1]!['image_id']).toBeUndefined();

    // The VM runs: its active disk cannot be downloaded, its snapshot volumes can.
    const t = await startTransfer(h, { snapshot: { id: volume }, direction: 'download', format: 'raw' });
    const head = await imageio(h, String(t['transfer_url']), '', { range: 'bytes=0-4095' });
    expect(head.body.equals(Buffer.alloc(4096, 1))).toBe(true);
    const mid = await imageio(h, String(t['transfer_url']), '', { range: `bytes=${2 * MiB}-${2 * MiB + 4095}` });
    expect(mid.body.equals(Buffer.alloc(4096, 3))).toBe(true);
    // Removal waits while a transfer holds the disk.
    const busy = await h.api('DELETE', `/vms/${vmId}/snapshots/${String(s2['id'])}`);
    expect([busy.status, busy.json()['detail']]).toEqual([409, '[Cannot remove Snapshot. Disk snap-pit-cow is being transferred.]']);
    await endTransfer(h, t);

    const shallow = await startTransfer(h, { snapshot: { id: volume }, direction: 'download', format: 'raw', shallow: 'true' });
    const extents = JSON.parse((await imageio(h, String(shallow['transfer_url']), '/extents')).body.toString()) as Json[];
    expect(extents).toEqual([
      { start: 0, length: 2 * MiB, zero: true, hole: true },
      { start: 2 * MiB, length: MiB, zero: false, hole: false },
      { start: 3 * MiB, length: 61 * MiB, zero: true, hole: true },
    ]);
    const masked = await imageio(h, String(shallow['transfer_url']), '', { range: 'bytes=0-4095' });
    expect(masked.body.equals(Buffer.alloc(4096))).toBe(true);
    await endTransfer(h, shallow);
    expect(raw).toBeDefined();
  });

  test('removal merges the volume into its child: the disk reads the same, the chain shrinks', async () => {
    const { vmId, cow } = await backupVm(h, 'snap-merge');
    const s = await snapshot(vmId, { description: 'one', persist_memorystate: 'false' });
    await h.engine.vms.write(cow, 5 * MiB, Buffer.alloc(MiB, 8));
    const res = await h.api('DELETE', `/vms/${vmId}/snapshots/${String(s['id'])}`);
    expect(res.status).toBe(200);
    expect((await h.api('GET', `/vms/${vmId}/snapshots/${String(s['id'])}`)).json()['snapshot_status']).toBe('locked');
    await waitFor(async () => ((await h.api('GET', `/vms/${vmId}/snapshots/${String(s['id'])}`)).status === 404 ? true : undefined), 3000, 'snapshot gone');
    expect((await h.api('GET', `/disks/${cow}/disksnapshots`)).json()).toEqual({});
    const image = h.images.get(cow)!;
    expect((await image.read(0, 4096)).equals(Buffer.alloc(4096, 1))).toBe(true);
    expect((await image.read(5 * MiB, 4096)).equals(Buffer.alloc(4096, 8))).toBe(true);
    const active = (await h.api('GET', `/vms/${vmId}/snapshots`)).json()['snapshot'] as Json[];
    expect(active.map((x) => x['snapshot_type'])).toEqual(['active']);
  });

  test('guest writes need a running VM', async () => {
    const { cow } = await backupVm(h, 'snap-down', 'down');
    await expect(h.engine.vms.write(cow, 0, Buffer.alloc(512))).rejects.toThrow(/not plugged into a running VM.*Start VM 'snap-down' first/);
  });
});
