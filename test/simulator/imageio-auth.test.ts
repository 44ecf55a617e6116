import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once, RawClient, startRig, stillServes, text, ticket, type ImageioRig } from './imageio-helpers.js';

let rig: ImageioRig;
let ca: string;
const DENIED = 'You are not allowed to access this resource: ';

beforeAll(async () => {
  rig = await startRig();
  ca = rig.pki.caPem;
  await rig.images.create('vol', 1 << 20);
});
afterAll(() => rig.close());

describe('imageio authorization', () => {
  it('refuses an unknown ticket with 403 and closes the connection', async () => {
    const res = await once(rig.daemon, ca, 'GET', '/images/missing');
    expect(res.status).toBe(403);
    expect(text(res)).toBe(`${DENIED}No such ticket missing\n`);
    expect(res.headers['connection']).toBe('close');
    expect(res.closed).toBe(true);
  });

  it('checks canceled, then expired, then the operation', async () => {
    const t = rig.daemon.tickets.add(ticket('order', 'nbd:sim:vol', 1 << 20, { ops: ['read'], transfer_id: 'tx-1' }));
    t.expires = rig.clock.now - 1;
    t.canceled = true;
    expect(text(await once(rig.daemon, ca, 'PUT', '/images/order', {}, 'x'))).toBe(`${DENIED}Transfer=tx-1 was canceled\n`);
    t.canceled = false;
    expect(text(await once(rig.daemon, ca, 'PUT', '/images/order', {}, 'x'))).toBe(`${DENIED}Transfer=tx-1 expired\n`);
    t.expires = rig.clock.now + 10;
    const forbid = await once(rig.daemon, ca, 'PUT', '/images/order', {}, 'x');
    expect([forbid.status, text(forbid), forbid.closed]).toEqual([403, `${DENIED}Transfer=tx-1 forbids write\n`, true]);
  });

  it('treats expiry as expires <= now on the monotonic clock', async () => {
    const t = rig.daemon.tickets.add(ticket('edge', 'nbd:sim:vol', 1 << 20, { transfer_id: 'tx-edge' }));
    t.expires = rig.clock.now;
    expect(text(await once(rig.daemon, ca, 'OPTIONS', '/images/edge'))).toBe(`${DENIED}Transfer=tx-edge expired\n`);
    rig.daemon.tickets.extend('edge', 30);
    expect((await once(rig.daemon, ca, 'OPTIONS', '/images/edge')).status).toBe(200);
  });

  it('lets write imply read', async () => {
    rig.daemon.tickets.add(ticket('wo', 'nbd:sim:vol', 1 << 20, { ops: ['write'] }));
    expect((await once(rig.daemon, ca, 'GET', '/images/wo', { range: 'bytes=0-0' })).status).toBe(206);
  });

  it('validates before authorizing: a bad Range is 416 even without a ticket', async () => {
    const res = await once(rig.daemon, ca, 'GET', '/images/missing', { range: 'bytes=-5' });
    expect([res.status, text(res), res.headers['content-range']]).toEqual([416, 'suffix-byte-range-spec not supported yet\n', undefined]);
  });

  it('closes after 403 on extents, OPTIONS and PATCH', async () => {
    for (const [method, path, body] of [
      ['GET', '/images/missing/extents', undefined],
      ['OPTIONS', '/images/missing', undefined],
      ['PATCH', '/images/missing', '{"op":"flush"}'],
    ] as const) {
      const res = await once(rig.daemon, ca, method, path, {}, body);
      expect([method, res.status, res.closed]).toEqual([method, 403, true]);
    }
  });

  it('keeps the connection after the initial 403 of checksum', async () => {
    const client = await RawClient.connect(rig.daemon.port, ca);
    client.request('GET', '/images/missing/checksum');
    const res = await client.response();
    expect([res.status, res.headers['connection']]).toEqual([403, undefined]);
    expect(await stillServes(client)).toBe(true);
    client.destroy();
  });
});

describe('imageio OPTIONS', () => {
  it('describes the server for *, without max_* fields', async () => {
    const res = await once(rig.daemon, ca, 'OPTIONS', '/images/*');
    expect(res.headers['allow']).toBe('OPTIONS,GET,PUT,PATCH');
    expect(text(res)).toBe('{"features": ["checksum", "extents", "flush", "zero"]}\n');
  });

  it('derives Allow and features from the ticket ops', async () => {
    rig.daemon.tickets.add(ticket('ro', 'nbd:sim:vol', 1 << 20, { ops: ['read'] }));
    const ro = await once(rig.daemon, ca, 'OPTIONS', '/images/ro');
    expect(ro.headers['allow']).toBe('OPTIONS,GET');
    expect(text(ro)).toBe('{"features": ["checksum", "extents"], "max_readers": 8, "max_writers": 8}\n');
    rig.daemon.tickets.add(ticket('rw', 'nbd:sim:vol', 1 << 20));
    const rw = await once(rig.daemon, ca, 'OPTIONS', '/images/rw');
    expect(rw.headers['allow']).toBe('OPTIONS,GET,PUT,PATCH');
    expect(JSON.parse(text(rw))).toEqual({ features: ['checksum', 'extents', 'flush', 'zero'], max_readers: 8, max_writers: 8 });
  });

  it('reports one writer for the file backend', async () => {
    rig.daemon.tickets.add(ticket('file', 'file:sim:vol', 1 << 20));
    const res = JSON.parse(text(await once(rig.daemon, ca, 'OPTIONS', '/images/file')));
    expect([res.max_readers, res.max_writers]).toEqual([8, 1]);
  });

  it('touches the ticket (extends expiry and resets idle time)', async () => {
    const t = rig.daemon.tickets.add(ticket('touch', 'nbd:sim:vol', 1 << 20, { timeout: 50 }));
    rig.clock.now += 20;
    expect(t.idleTime()).toBe(20);
    await once(rig.daemon, ca, 'OPTIONS', '/images/touch');
    expect([t.expires, t.idleTime()]).toEqual([rig.clock.now + 50, 0]);
  });

  it('answers 500 when the ticket backend cannot be opened', async () => {
    rig.daemon.tickets.add(ticket('novol', 'nbd:sim:absent', 10));
    const res = await once(rig.daemon, ca, 'OPTIONS', '/images/novol');
    expect([res.status, text(res)]).toEqual([500, 'Server failed to perform the request, check logs\n']);
  });
});

describe('imageio personalities', () => {
  it('answers OPTIONS with 405 like an old daemon, and has no extents or checksum', async () => {
    const old = await startRig({ daemon: { personality: { legacyOptions: 405, checksum: false, maxConnections: false, signedTicket: null } } });
    try {
      await old.images.create('v', 4096);
      old.daemon.tickets.add(ticket('t', 'nbd:sim:v', 4096));
      const opt = await once(old.daemon, old.pki.caPem, 'OPTIONS', '/images/t');
      expect([opt.status, text(opt)]).toEqual([405, "Method 'OPTIONS' not defined for '/images/t'\n"]);
      const ext = await once(old.daemon, old.pki.caPem, 'GET', '/images/t/extents');
      expect([ext.status, text(ext)]).toEqual([403, `${DENIED}No such ticket t/extents\n`]);
      expect((await once(old.daemon, old.pki.caPem, 'GET', '/images/t', { range: 'bytes=0-9' })).status).toBe(206);
    } finally {
      await old.close();
    }
  });

  it('answers OPTIONS with 204 like an old proxy', async () => {
    const old = await startRig({ daemon: { personality: { legacyOptions: 204, checksum: false, maxConnections: false, signedTicket: null } } });
    try {
      const res = await once(old.daemon, old.pki.caPem, 'OPTIONS', '/images/anything');
      expect([res.status, res.body.length]).toEqual([204, 0]);
    } finally {
      await old.close();
    }
  });

  it('omits checksum and max_* for imageio 1.x, keeping extents', async () => {
    const old = await startRig({ daemon: { personality: { legacyOptions: null, checksum: false, maxConnections: false, signedTicket: null } } });
    try {
      await old.images.create('v', 4096);
      old.daemon.tickets.add(ticket('t', 'nbd:sim:v', 4096));
      const res = await once(old.daemon, old.pki.caPem, 'OPTIONS', '/images/t');
      expect(text(res)).toBe('{"features": ["extents", "flush", "zero"]}\n');
      expect((await once(old.daemon, old.pki.caPem, 'GET', '/images/t/extents')).status).toBe(200);
      expect((await once(old.daemon, old.pki.caPem, 'GET', '/images/t/checksum')).status).toBe(403);
    } finally {
      await old.close();
    }
  });

  it('requires a valid signed ticket in Authorization (401) on a legacy proxy', async () => {
    const seen: Array<string | undefined> = [];
    const signedTicket = (authorization: string | undefined, id: string): boolean => {
      seen.push(authorization);
      return authorization === `signed-${id}`;
    };
    const old = await startRig({ daemon: { personality: { legacyOptions: 204, checksum: false, maxConnections: false, signedTicket } } });
    try {
      await old.images.create('v', 4096);
      old.daemon.tickets.add(ticket('t', 'nbd:sim:v', 4096));
      const none = await once(old.daemon, old.pki.caPem, 'GET', '/images/t', { range: 'bytes=0-9' });
      expect([none.status, text(none)]).toEqual([401, "Not authorized (Ticket doesn't exists)\n"]);
      const bad = await once(old.daemon, old.pki.caPem, 'GET', '/images/t', { range: 'bytes=0-9', authorization: 'forged' });
      expect(bad.status).toBe(401);
      const good = await once(old.daemon, old.pki.caPem, 'GET', '/images/t', { range: 'bytes=0-9', authorization: 'signed-t' });
      expect(good.status).toBe(206);
      // Once accepted, the proxy holds the ticket: no header needed any more.
      expect((await once(old.daemon, old.pki.caPem, 'GET', '/images/t', { range: 'bytes=0-9' })).status).toBe(206);
      expect(seen).toEqual(['forged', 'signed-t']);
    } finally {
      await old.close();
    }
  });
});
