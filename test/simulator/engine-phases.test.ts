import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDisk, phaseTrail, phaseTrailOf, startHarness, startTransfer, waitFor, type Harness } from './engine-harness.js';
import type { EngineVersion } from '../../main/simulator/engine/server.js';
import { engineTiming } from '../../main/simulator/engine/context.js';

type Json = Record<string, unknown>;

const ticketIdOf = (t: Json) => String(t['proxy_url']).split('/').pop()!;

async function act(h: Harness, t: Json, action: string): Promise<void> {
  const res = await h.api('POST', `/imagetransfers/${String(t['id'])}/${action}`, {});
  expect(res.status, res.text).toBe(200);
}

/** The phases from sending `action` on, watched from before it is sent (see phaseTrailOf). */
function actTrail(h: Harness, t: Json, action: string, until?: string): Promise<string[]> {
  return phaseTrailOf(h, String(t['id']), () => act(h, t, action), until);
}

/** A qcow2 v3 header: magic, version, backing_file_offset. */
function qcow2Header(backingOffset = 0n): Buffer {
  const b = Buffer.alloc(512);
  b.write('QFI\xfb', 0, 'latin1');
  b.writeUInt32BE(3, 4);
  b.writeBigUInt64BE(backingOffset, 8);
  b.writeUInt32BE(16, 20); // cluster_bits
  return b;
}

describe.each(['4.1', '4.3', '4.5'] as EngineVersion[])('phase sequences on %s', (version) => {
  let h: Harness;
  const target = (diskId: string) => (version === '4.1' ? { image: { id: diskId } } : { disk: { id: diskId } });
  // 4.1 and 4.3 delete the row when the command ends; 4.5 keeps it.
  const end = (phase: string) => (version === '4.5' ? [phase] : ['gone']);
  beforeAll(async () => {
    h = await startHarness({ version });
  });
  afterAll(async () => h.close());

  test('upload finalize: finalizing_success → finished_success; tickets removed; disk ok', async () => {
    const diskId = await createDisk(h);
    const t = await startTransfer(h, target(diskId));
    const ticketId = ticketIdOf(t);
    expect(await actTrail(h, t, 'finalize')).toEqual(['finalizing_success', ...end('finished_success')]);
    expect(h.daemon.tickets.get(ticketId)).toBeUndefined();
    expect(h.proxy.tickets.get(ticketId)).toBeUndefined();
    expect((await h.api('GET', `/disks/${diskId}`)).json()['status']).toBe('ok');
    const after = await h.api('GET', `/imagetransfers/${String(t['id'])}`);
    if (version === '4.5') {
      expect(after.json()['phase']).toBe('finished_success');
      expect(after.json()['proxy_url']).toBeUndefined();
      expect(after.json()['transfer_url']).toBeUndefined();
    } else {
      expect(after.status).toBe(404);
      expect(after.text).toBe('');
    }
  });

  /** On 4.1 `cancel` is unknown (it came with 4.2.3): 404, the transfer goes on; ended here with finalize. */
  async function cancelUnknown(t: Json): Promise<void> {
    const res = await h.api('POST', `/imagetransfers/${String(t['id'])}/cancel`, {});
    expect(res.status).toBe(404);
    expect(h.engine.state.transfers.get(String(t['id']))?.phase).toBe('transferring');
    await act(h, t, 'finalize');
    await phaseTrail(h, String(t['id']));
  }

  test('upload cancel: the cleanup chain ends in finished_failure and deletes even a pre-existing disk (4.2.4+)', async () => {
    const diskId = await createDisk(h);
    const t = await startTransfer(h, target(diskId));
    if (version === '4.1') return cancelUnknown(t);
    expect(await actTrail(h, t, 'cancel')).toEqual(['cancelled_user', 'finalizing_cleanup', 'finished_cleanup', ...end('finished_failure')]);
    expect((await h.api('GET', `/disks/${diskId}`)).status).toBe(404);
    expect(h.images.get(diskId)).toBeUndefined();
  });

  test('download finalize: finished_success and the disk is ok again', async () => {
    const diskId = await createDisk(h);
    const t = await startTransfer(h, { ...target(diskId), direction: 'download' });
    expect(await actTrail(h, t, 'finalize')).toEqual(['finalizing_success', ...end('finished_success')]);
    expect(h.engine.state.disks.get(diskId)?.status).toBe('ok');
  });

  test('download cancel: finished_failure, the disk stays and is ok', async () => {
    const diskId = await createDisk(h);
    const t = await startTransfer(h, { ...target(diskId), direction: 'download' });
    if (version === '4.1') return cancelUnknown(t);
    expect(await actTrail(h, t, 'cancel')).toEqual(['cancelled_user', 'finalizing_cleanup', 'finished_cleanup', ...end('finished_failure')]);
    expect(h.engine.state.disks.get(diskId)?.status).toBe('ok');
  });

  test('pause then resume: paused_user → resuming → transferring; the disk stays locked', async () => {
    const diskId = await createDisk(h);
    const t = await startTransfer(h, target(diskId));
    const id = String(t['id']);
    await act(h, t, 'pause');
    expect(h.engine.state.transfers.get(id)!.phase).toBe('paused_user');
    expect(h.engine.state.disks.get(diskId)?.status).toBe('locked');
    expect(await actTrail(h, t, 'resume', 'transferring')).toEqual(['resuming', 'transferring']);
    expect(h.daemon.tickets.get(ticketIdOf(t))).toBeDefined();
    await act(h, t, 'finalize'); // leave no transferring upload behind for the global pausedSystemNow fault
    await phaseTrail(h, id);
  });

  test('pausedSystemNow: the next poll pauses a transferring upload and drops its ticket; resume restores the same URLs', async () => {
    const t = await startTransfer(h, target(await createDisk(h)));
    const id = String(t['id']);
    h.faults.pausedSystemNow = true;
    await waitFor(() => (h.engine.state.transfers.get(id)!.phase === 'paused_system' ? true : undefined));
    expect(h.faults.pausedSystemNow).toBe(false);
    const paused = (await h.api('GET', `/imagetransfers/${id}`)).json();
    expect(paused['proxy_url']).toBeUndefined();
    await act(h, t, 'resume');
    await waitFor(() => (h.engine.state.transfers.get(id)!.phase === 'transferring' ? true : undefined));
    expect((await h.api('GET', `/imagetransfers/${id}`)).json()['proxy_url']).toBe(t['proxy_url']);
  });

  test('verification: qcow2 bytes in a raw disk fail finalize; the disk is deleted (4.2.4+) or left illegal', async () => {
    const diskId = await createDisk(h);
    const t = await startTransfer(h, target(diskId));
    await h.images.get(diskId)!.write(0, qcow2Header());
    expect(await actTrail(h, t, 'finalize')).toEqual(['finalizing_success', 'finalizing_failure', ...end('finished_failure')]);
    const disk = await h.api('GET', `/disks/${diskId}`);
    if (version === '4.1') expect(disk.json()['status']).toBe('illegal');
    else expect(disk.status).toBe(404);
  });

  test('failFinalizeVerification fails the next upload finalize only', async () => {
    h.faults.failFinalizeVerification = true;
    const bad = await startTransfer(h, target(await createDisk(h)));
    await act(h, bad, 'finalize');
    expect((await phaseTrail(h, String(bad['id']))).at(-1)).toBe(end('finished_failure')[0]);
    expect(h.faults.failFinalizeVerification).toBe(false);
    const good = await startTransfer(h, target(await createDisk(h)));
    await act(h, good, 'finalize');
    expect((await phaseTrail(h, String(good['id']))).at(-1)).toBe(end('finished_success')[0]);
  });
});

describe('FILE-backend verification of cow disks (4.5)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ version: '4.5' });
  });
  afterAll(async () => h.close());

  async function uploadCow(format: 'raw' | undefined, header: Buffer | null): Promise<string> {
    const diskId = await createDisk(h, { format: 'cow' });
    const t = await startTransfer(h, { disk: { id: diskId }, ...(format ? { format } : {}) });
    if (header) await h.images.get(diskId)!.write(0, header);
    await act(h, t, 'finalize');
    return (await phaseTrail(h, String(t['id']))).at(-1)!;
  }

  test('a qcow2 v3 without backing file passes', async () => {
    expect(await uploadCow(undefined, qcow2Header())).toBe('finished_success');
  });

  test('raw bytes in a cow disk fail', async () => {
    expect(await uploadCow(undefined, Buffer.alloc(512, 7))).toBe('finished_failure');
  });

  test('a qcow2 with a backing file fails', async () => {
    expect(await uploadCow(undefined, qcow2Header(512n))).toBe('finished_failure');
  });

  test('a qcow2 that does not open (its L1 table lies past the end of the volume) fails', async () => {
    const header = qcow2Header();
    header.writeBigUInt64BE(1n << 30n, 24); // 1 GiB virtual: 2 L1 entries
    header.writeUInt32BE(2, 36);
    header.writeBigUInt64BE(1n << 40n, 40); // ... at 1 TiB
    expect(await uploadCow(undefined, header)).toBe('finished_failure');
  });

  test('through NBD (format raw) qemu-nbd writes the qcow2 itself: any guest data passes', async () => {
    expect(await uploadCow('raw', Buffer.alloc(512, 7))).toBe('finished_success');
  });
});

describe('finished rows (4.5)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ version: '4.5' });
  });
  afterAll(async () => h.close());

  test('a success row is listed and kept 15 minutes, then 404', async () => {
    const t = await startTransfer(h, { disk: { id: await createDisk(h) } });
    await act(h, t, 'finalize');
    await phaseTrail(h, String(t['id']));
    const listed = (await h.api('GET', '/imagetransfers')).json()['image_transfer'] as Json[];
    expect(listed.map((x) => x['id'])).toContain(t['id']);
    h.clock.now += 15 * 60 * 1000;
    expect((await h.api('GET', `/imagetransfers/${String(t['id'])}`)).status).toBe(200);
    h.clock.now += 1;
    expect((await h.api('GET', `/imagetransfers/${String(t['id'])}`)).status).toBe(404);
  });

  test('a failure row is kept 30 minutes', async () => {
    const t = await startTransfer(h, { disk: { id: await createDisk(h) } });
    await act(h, t, 'cancel');
    await phaseTrail(h, String(t['id']));
    h.clock.now += 20 * 60 * 1000;
    expect((await h.api('GET', `/imagetransfers/${String(t['id'])}`)).json()['phase']).toBe('finished_failure');
    h.clock.now += 10 * 60 * 1000 + 1;
    expect((await h.api('GET', `/imagetransfers/${String(t['id'])}`)).status).toBe(404);
  });

  test('a late cancel or finalize after finished is ignored (4.5.3+)', async () => {
    const t = await startTransfer(h, { disk: { id: await createDisk(h) } });
    await act(h, t, 'finalize');
    await phaseTrail(h, String(t['id']));
    await act(h, t, 'cancel');
    await act(h, t, 'pause');
    expect((await h.api('GET', `/imagetransfers/${String(t['id'])}`)).json()['phase']).toBe('finished_success');
  });
});

describe('poller cadence', () => {
  test('normal mode backs off 1→2→4→8→10 s like CommandCallbacksPoller; fast mode polls every 25 ms', () => {
    const normal = engineTiming(false);
    expect([0, 1, 2, 3, 4, 5, 50].map((n) => normal.pollDelayMs(n))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
    expect(normal.diskLockMs).toBe(2000);
    const fast = engineTiming(true);
    expect(fast.pollDelayMs(0)).toBe(25);
    expect(fast.pollDelayMs(100)).toBe(25);
    expect(fast.diskLockMs).toBeLessThan(100);
  });
});
