import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageioServer } from '../../main/simulator/imageio/server.js';
import { once, RawClient, startRig, text, ticket, waitFor, type ImageioRig } from './imageio-helpers.js';

const MiB = 1024 * 1024;
let rig: ImageioRig;
let proxy: ImageioServer;
let ca: string;

beforeAll(async () => {
  rig = await startRig({ proxy: true });
  proxy = rig.proxy!;
  ca = rig.pki.caPem;
  await rig.images.create('vol', 4 * MiB);
});
afterAll(() => rig.close());

/** A daemon ticket and the proxy ticket the engine would add for it. */
function pair(id: string, url = 'nbd:sim:vol', extra: Parameters<typeof ticket>[3] = {}): void {
  rig.daemon.tickets.add(ticket(id, url, 4 * MiB, extra));
  proxy.tickets.add(ticket(id, rig.daemon.imageUrl(id), 4 * MiB, extra));
}

describe('imageio proxy', () => {
  it('writes and reads the daemon image through the proxy', async () => {
    pair('rw');
    const put = await once(proxy, ca, 'PUT', '/images/rw?flush=n', { 'content-range': 'bytes 10-14/*' }, 'hello');
    expect(put.status).toBe(200);
    const get = await once(proxy, ca, 'GET', '/images/rw', { range: 'bytes=10-14' });
    expect([get.status, text(get), get.headers['content-range']]).toEqual([206, 'hello', `bytes 10-14/${4 * MiB}`]);
    expect((await rig.images.get('vol')!.read(10, 5)).toString()).toBe('hello');
  });

  it('relays max_readers/max_writers of the daemon backend and has no unix_socket', async () => {
    pair('nbd');
    expect(text(await once(proxy, ca, 'OPTIONS', '/images/nbd'))).toBe(
      '{"features": ["checksum", "extents", "flush", "zero"], "max_readers": 8, "max_writers": 8}\n',
    );
    pair('file', 'file:sim:vol');
    expect(JSON.parse(text(await once(proxy, ca, 'OPTIONS', '/images/file')))).toMatchObject({ max_readers: 8, max_writers: 1 });
  });

  it('answers 403 when the daemon has no ticket', async () => {
    proxy.tickets.add(ticket('orphan', rig.daemon.imageUrl('orphan'), 4 * MiB));
    const res = await once(proxy, ca, 'GET', '/images/orphan', { range: 'bytes=0-0' });
    expect([res.status, text(res)]).toEqual([403, 'You are not allowed to access this resource: No such ticket orphan\n']);
  });

  it('answers 403 and closes when the proxy has no ticket', async () => {
    rig.daemon.tickets.add(ticket('daemon-only', 'nbd:sim:vol', 4 * MiB));
    const res = await once(proxy, ca, 'OPTIONS', '/images/daemon-only');
    expect([res.status, res.closed]).toEqual([403, true]);
  });

  it('relays a daemon refusal such as an expired daemon ticket', async () => {
    pair('late', 'nbd:sim:vol', { transfer_id: 'tx-late' });
    rig.daemon.tickets.get('late')!.expires = rig.clock.now;
    const res = await once(proxy, ca, 'GET', '/images/late', { range: 'bytes=0-0' });
    expect([res.status, text(res)]).toEqual([403, 'You are not allowed to access this resource: Transfer=tx-late expired\n']);
  });

  it('does not depend on reaching the daemon address in its ticket', async () => {
    rig.daemon.tickets.add(ticket('far', 'nbd:sim:vol', 4 * MiB));
    proxy.tickets.add(ticket('far', 'https://127.0.0.1:9/images/far', 4 * MiB));
    expect((await once(proxy, ca, 'GET', '/images/far', { range: 'bytes=0-9' })).status).toBe(206);
  });

  it('touches both tickets and counts transferred bytes on both', async () => {
    pair('both', 'nbd:sim:vol', { ops: ['read'], timeout: 20 });
    rig.clock.now += 3;
    await once(proxy, ca, 'GET', '/images/both', { range: 'bytes=0-999' });
    for (const server of [proxy, rig.daemon]) {
      expect(server.tickets.get('both')!.info()).toMatchObject({ transferred: 1000, expires: rig.clock.now + 20, active: false });
    }
  });

  it('binds the connection to both tickets', async () => {
    pair('conn');
    const client = await RawClient.connect(proxy.port, ca);
    client.request('OPTIONS', '/images/conn');
    await client.response();
    expect([proxy.tickets.get('conn')!.connections, rig.daemon.tickets.get('conn')!.connections]).toEqual([1, 1]);
    client.destroy();
    await waitFor(() => proxy.tickets.get('conn')!.connections === 0 && rig.daemon.tickets.get('conn')!.connections === 0);
  });

  it('caches extents per client connection, like backends/http.py', async () => {
    pair('cache');
    const image = rig.images.get('vol')!;
    image.zero(0, 4 * MiB);
    const client = await RawClient.connect(proxy.port, ca);
    client.request('GET', '/images/cache/extents');
    const before = text(await client.response());
    await image.write(0, Buffer.alloc(4096, 1));
    client.request('GET', '/images/cache/extents');
    expect(text(await client.response())).toBe(before);
    client.destroy();
    const fresh = JSON.parse(text(await once(proxy, ca, 'GET', '/images/cache/extents'))) as unknown[];
    expect(fresh[0]).toEqual({ start: 0, length: 4096, zero: false, hole: false });
  });

  it('wraps a daemon dirty-extents refusal', async () => {
    pair('dirty', 'file:sim:vol', { dirty: true });
    const res = await once(proxy, ca, 'GET', '/images/dirty/extents?context=dirty');
    expect(res.status).toBe(404);
    expect(text(res)).toBe(
      "Operation not supported: Server does not support dirty extents: b'Operation not supported: Backend file does not support dirty extents\\n'\n",
    );
  });

  it('fakes one data extent when its daemon has no extents (a legacy daemon)', async () => {
    const old = await startRig({
      proxy: true,
      daemon: { personality: { legacyOptions: 405, checksum: false, maxConnections: false, signedTicket: null } },
    });
    try {
      const image = await old.images.create('v', 2 * MiB);
      await image.write(0, Buffer.alloc(4096, 1)); // sparse: real extents would show a zero run
      old.daemon.tickets.add(ticket('t', 'nbd:sim:v', 2 * MiB));
      old.proxy!.tickets.add(ticket('t', old.daemon.imageUrl('t'), 2 * MiB));
      const res = await once(old.proxy!, old.pki.caPem, 'GET', '/images/t/extents');
      expect(res.status).toBe(200);
      expect(JSON.parse(text(res))).toEqual([{ start: 0, length: 2 * MiB, zero: false, hole: false }]);
    } finally {
      await old.close();
    }
  });

  it('computes the same checksum as the daemon', async () => {
    pair('sum');
    const direct = text(await once(rig.daemon, ca, 'GET', '/images/sum/checksum'));
    expect(text(await once(proxy, ca, 'GET', '/images/sum/checksum'))).toBe(direct);
  });

  it('reports 1/1 when its daemon does not publish max_*', async () => {
    const old = await startRig({
      proxy: true,
      daemon: { personality: { legacyOptions: null, checksum: false, maxConnections: false, signedTicket: null } },
    });
    try {
      await old.images.create('v', 4096);
      old.daemon.tickets.add(ticket('t', 'nbd:sim:v', 4096));
      old.proxy!.tickets.add(ticket('t', old.daemon.imageUrl('t'), 4096));
      expect(JSON.parse(text(await once(old.proxy!, old.pki.caPem, 'OPTIONS', '/images/t')))).toMatchObject({ max_readers: 1, max_writers: 1 });
    } finally {
      await old.close();
    }
  });

  it('lets a legacy proxy serve a daemon ticket it learned from a signed ticket', async () => {
    const legacy = await startRig({
      proxy: true,
      proxyOptions: {
        personality: { legacyOptions: 204, checksum: false, maxConnections: false, signedTicket: (auth, id) => auth === `signed:${id}` },
      },
    });
    try {
      await legacy.images.create('v', 4096);
      legacy.daemon.tickets.add(ticket('t', 'nbd:sim:v', 4096));
      const put = await once(legacy.proxy!, legacy.pki.caPem, 'PUT', '/images/t', { authorization: 'signed:t' }, 'abc');
      expect(put.status).toBe(200);
      expect((await legacy.images.get('v')!.read(0, 3)).toString()).toBe('abc');
      const unsigned = await once(legacy.proxy!, legacy.pki.caPem, 'GET', '/images/other');
      expect([unsigned.status, text(unsigned)]).toEqual([401, "Not authorized (Ticket doesn't exists)\n"]);
    } finally {
      await legacy.close();
    }
  });

  it('serves /info/', async () => {
    expect(text(await once(proxy, ca, 'GET', '/info/'))).toBe('{"version": "2.5.3"}\n');
  });
});
