import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimImage } from '../../main/simulator/image-store.js';
import { noFaults } from '../../main/simulator/faults.js';
import { once, RawClient, startRig, text, ticket, waitFor, type ImageioRig } from './imageio-helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;
let rig: ImageioRig;
let ca: string;
let image: SimImage;

beforeAll(async () => {
  rig = await startRig({ daemon: { bufferSize: 64 * KiB } });
  ca = rig.pki.caPem;
  image = await rig.images.create('vol', MiB);
  await image.write(0, Buffer.alloc(MiB, 0x11));
});
beforeEach(() => {
  Object.assign(rig.faults, noFaults());
  rig.daemon.tickets.add(ticket('t', 'nbd:sim:vol', MiB, { transfer_id: 'tx' }));
});
afterAll(() => rig.close());

describe('imageio faults', () => {
  it('dropAfterBytes cuts the next GET after that many body bytes, once', async () => {
    rig.faults.dropAfterBytes = 1000;
    const client = await RawClient.connect(rig.daemon.port, ca);
    client.request('GET', '/images/t', { range: 'bytes=0-99999' });
    const res = await client.response();
    expect([res.status, res.headers['content-length'], res.body.length]).toEqual([206, '100000', 1000]);
    expect(rig.faults.dropAfterBytes).toBeNull();
    expect((await once(rig.daemon, ca, 'GET', '/images/t', { range: 'bytes=0-99999' })).body.length).toBe(100000);
  });

  it('dropAfterBytes cuts the next PUT after that many received bytes, keeping what arrived', async () => {
    image.zero(0, MiB);
    rig.faults.dropAfterBytes = 1000;
    const client = await RawClient.connect(rig.daemon.port, ca);
    client.request('PUT', '/images/t', {}, Buffer.alloc(5000, 0x22));
    expect(await client.closedWithin(2000)).toBe(true);
    await expect(client.response(100)).rejects.toThrow(/closed before a response/);
    expect(image.data.toArray()).toEqual([{ start: 0, end: 1000 }]);
    expect(rig.faults.dropAfterBytes).toBeNull();
  });

  it('failNthPut answers 500 to the Nth PUT without writing it, then disarms', async () => {
    image.zero(0, MiB);
    rig.faults.failNthPut = 2;
    expect((await once(rig.daemon, ca, 'PUT', '/images/t', { 'content-range': 'bytes 0-*/*' }, 'a')).status).toBe(200);
    expect(rig.faults.failNthPut).toBe(1);
    const failed = await once(rig.daemon, ca, 'PUT', '/images/t', { 'content-range': 'bytes 10-*/*' }, 'b');
    expect([failed.status, text(failed), failed.closed]).toEqual([500, 'Server failed to perform the request, check logs\n', true]);
    expect(rig.faults.failNthPut).toBeNull();
    expect((await image.read(10, 1))[0]).toBe(0);
    expect((await once(rig.daemon, ca, 'PUT', '/images/t', { 'content-range': 'bytes 20-*/*' }, 'c')).status).toBe(200);
  });

  it('latencyMs delays every response', async () => {
    rig.faults.latencyMs = 120;
    const start = performance.now();
    expect((await once(rig.daemon, ca, 'OPTIONS', '/images/nope')).status).toBe(403);
    expect(performance.now() - start).toBeGreaterThanOrEqual(115);
  });

  it('bandwidthBytesPerSecond paces GET and PUT bodies', async () => {
    rig.faults.bandwidthBytesPerSecond = 1 * MiB;
    let start = performance.now();
    expect((await once(rig.daemon, ca, 'GET', '/images/t', { range: `bytes=0-${256 * KiB - 1}` })).body.length).toBe(256 * KiB);
    expect(performance.now() - start).toBeGreaterThanOrEqual(200);
    start = performance.now();
    expect((await once(rig.daemon, ca, 'PUT', '/images/t', {}, Buffer.alloc(256 * KiB, 3))).status).toBe(200);
    expect(performance.now() - start).toBeGreaterThanOrEqual(200);
  });

  it('expireTicket expires the ticket of the next data request, once', async () => {
    rig.faults.expireTicket = true;
    expect((await once(rig.daemon, ca, 'OPTIONS', '/images/t')).status).toBe(200);
    const res = await once(rig.daemon, ca, 'GET', '/images/t', { range: 'bytes=0-0' });
    expect([res.status, text(res)]).toEqual([403, 'You are not allowed to access this resource: Transfer=tx expired\n']);
    expect(rig.faults.expireTicket).toBe(false);
    rig.daemon.tickets.extend('t', 60);
    expect((await once(rig.daemon, ca, 'GET', '/images/t', { range: 'bytes=0-0' })).status).toBe(206);
  });
});

describe('imageio cancellation', () => {
  it('fails a running PUT with 403 at the next buffer boundary when the ticket is removed', async () => {
    const t = rig.daemon.tickets.get('t')!;
    const client = await RawClient.connect(rig.daemon.port, ca);
    client.request('PUT', '/images/t', { 'content-length': 512 * KiB });
    client.send(Buffer.alloc(128 * KiB, 5));
    await waitFor(() => t.ongoing.size === 1 && [...t.ongoing][0]!.done === 128 * KiB);
    expect(t.active).toBe(true);
    rig.daemon.tickets.remove('t');
    client.send(Buffer.alloc(64 * KiB, 5));
    const res = await client.response();
    expect([res.status, text(res), res.headers['connection']]).toEqual([403, 'You are not allowed to access this resource: Transfer tx was canceled\n', 'close']);
    expect(t.active).toBe(false);
    client.destroy();
  });

  it('closes a started GET when the ticket is removed', async () => {
    rig.faults.bandwidthBytesPerSecond = 256 * KiB;
    const client = await RawClient.connect(rig.daemon.port, ca);
    client.request('GET', '/images/t');
    const t = rig.daemon.tickets.get('t')!;
    await waitFor(() => t.active && [...t.ongoing][0]!.done > 0);
    rig.daemon.tickets.remove('t');
    const res = await client.response();
    expect(res.status).toBe(200);
    expect(res.body.length).toBeLessThan(MiB);
    expect(await client.closedWithin(1000)).toBe(true);
  });
});

describe('imageio idle timeouts', () => {
  it('drops an unauthorized connection after 60 s and an authorized one after inactivity_timeout', async () => {
    // 1 protocol second = 20 ms: 60 s is 1200 ms, inactivity_timeout 2 s is 40 ms.
    const fast = await startRig({ daemon: { timing: { secondMs: 20 } } });
    try {
      await fast.images.create('v', 4096);
      fast.daemon.tickets.add(ticket('t', 'nbd:sim:v', 4096, { inactivity_timeout: 2 }));
      const idle = await RawClient.connect(fast.daemon.port, fast.pki.caPem);
      const authorized = await RawClient.connect(fast.daemon.port, fast.pki.caPem);
      authorized.request('OPTIONS', '/images/t');
      expect((await authorized.response()).status).toBe(200);
      const start = performance.now();
      expect(await authorized.closedWithin(800)).toBe(true);
      expect(await idle.closedWithin(100)).toBe(false);
      expect(await idle.closedWithin(3000)).toBe(true);
      expect(performance.now() - start).toBeGreaterThan(500);
    } finally {
      await fast.close();
    }
  });
});
