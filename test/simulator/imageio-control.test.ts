import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, startRig, text, ticket, waitFor, type ImageioRig, type RawResponse } from './imageio-helpers.js';

let rig: ImageioRig;

beforeAll(async () => {
  rig = await startRig({ daemon: { controlPort: 0, timing: { secondMs: 10, removeTimeoutSeconds: 5 } } });
  await rig.images.create('vol', 1 << 20);
});
afterAll(() => rig.close());

async function control(method: string, path: string, body?: string): Promise<RawResponse> {
  const client = await RawClient.connect(rig.daemon.controlPort!, null);
  try {
    client.request(method, path, {}, body);
    return await client.response();
  } finally {
    client.destroy();
  }
}

const spec = (uuid: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ uuid, size: 1 << 20, url: 'nbd:sim:vol', timeout: 300, ops: ['read'], ...extra });

describe('imageio control API', () => {
  it('listens on 127.0.0.1 over plain HTTP', () => {
    expect(rig.daemon.controlPort).toBeGreaterThan(0);
  });

  it('adds a ticket with PUT and shows it with GET', async () => {
    const put = await control('PUT', '/tickets/c1', spec('c1', { transfer_id: 'tx-c1', filename: 'disk.raw' }));
    expect([put.status, put.body.length]).toEqual([200, 0]);
    const get = await control('GET', '/tickets/c1');
    expect(get.headers['content-type']).toBe('application/json');
    expect(text(get)).toBe(
      `{"active": false, "canceled": false, "connections": 0, "expires": ${rig.clock.now + 300}, "idle_time": 0, ` +
        `"inactivity_timeout": 60, "ops": ["read"], "size": 1048576, "sparse": false, "dirty": false, "timeout": 300, ` +
        `"url": "nbd:sim:vol", "uuid": "c1", "transfer_id": "tx-c1", "filename": "disk.raw", "transferred": 0}\n`,
    );
  });

  it('makes an added ticket usable on the data port', async () => {
    await control('PUT', '/tickets/c2', spec('c2'));
    expect(rig.daemon.tickets.get('c2')?.may('read')).toBe(true);
  });

  it.each([
    ['{', /^Ticket is not in a json format: /],
    ['{"uuid": "x"}', /^Invalid ticket: Required ticket parameter is missing: size$/],
    [spec('x', { size: '1' }), /^Invalid ticket: Invalid value for 'size'/],
    [spec('x', { url: 'ftp://host/x' }), /Unsupported url scheme: ftp$/],
  ])('refuses ticket %s with 400', async (body, message) => {
    const res = await control('PUT', '/tickets/x', body);
    expect(res.status).toBe(400);
    expect(text(res).trimEnd()).toMatch(message);
  });

  it('answers 404 for an unknown ticket and 400 without an id', async () => {
    const res = await control('GET', '/tickets/ghost');
    expect([res.status, text(res)]).toEqual([404, "No such ticket 'ghost'\n"]);
    expect((await control('GET', '/tickets/')).status).toBe(400);
  });

  it('extends with PATCH, even an expired ticket, without changing the stored timeout', async () => {
    await control('PUT', '/tickets/c3', spec('c3', { timeout: 10 }));
    rig.clock.now += 20;
    expect(rig.daemon.tickets.get('c3')!.expired()).toBe(true);
    const res = await control('PATCH', '/tickets/c3', '{"timeout": 100}');
    expect([res.status, res.body.length]).toEqual([200, 0]);
    expect(JSON.parse(text(await control('GET', '/tickets/c3')))).toMatchObject({ expires: rig.clock.now + 100, timeout: 10 });
  });

  it.each([
    ['{}', 400, "Missing required value for 'timeout'"],
    ['{"timeout": "x"}', 400, "Integer required 'x'"],
    ['{"timeout": -1}', 400, 'Invalid value -1 < 0'],
    ['nope', 400, 'Invalid patch: '],
  ])('refuses PATCH %s', async (body, status, message) => {
    await control('PUT', '/tickets/c4', spec('c4'));
    const res = await control('PATCH', '/tickets/c4', body);
    expect(res.status).toBe(status);
    expect(text(res).startsWith(message)).toBe(true);
  });

  it('answers 404 to PATCH of an unknown ticket', async () => {
    const res = await control('PATCH', '/tickets/ghost', '{"timeout": 1}');
    expect([res.status, text(res)]).toEqual([404, 'No such ticket: ghost\n']);
  });

  it('deletes with 204, idempotently, and clears all with an empty id', async () => {
    await control('PUT', '/tickets/d1', spec('d1'));
    expect((await control('DELETE', '/tickets/d1')).status).toBe(204);
    expect((await control('DELETE', '/tickets/d1')).status).toBe(204);
    expect(rig.daemon.tickets.get('d1')).toBeUndefined();
    await control('PUT', '/tickets/d2', spec('d2'));
    expect((await control('DELETE', '/tickets/')).status).toBe(204);
    expect(rig.daemon.tickets.get('d2')).toBeUndefined();
  });

  it('cancels in-flight operations on DELETE and answers 409 if they do not end in time', async () => {
    const t = rig.daemon.tickets.add(ticket('busy', 'nbd:sim:vol', 1 << 20));
    const client = await RawClient.connect(rig.daemon.port, rig.pki.caPem);
    client.request('PUT', '/images/busy', { 'content-length': 1 << 20 });
    client.send(Buffer.alloc(1000, 1));
    await waitFor(() => t.active);
    // The client stalls inside a buffer, so the cancellation is not noticed before the timeout (50 ms here).
    const res = await control('DELETE', '/tickets/busy');
    expect([res.status, text(res)]).toEqual([409, 'Timeout cancelling ticket busy\n']);
    expect(t.canceled).toBe(true);
    client.destroy();
  });
});
