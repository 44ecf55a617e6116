import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimImage } from '../../main/simulator/image-store.js';
import { once, RawClient, startRig, stillServes, text, ticket, type ImageioRig } from './imageio-helpers.js';

const MiB = 1024 * 1024;
let rig: ImageioRig;
let ca: string;
let image: SimImage;

beforeAll(async () => {
  rig = await startRig();
  ca = rig.pki.caPem;
  image = await rig.images.create('vol', 4 * MiB);
});
beforeEach(async () => {
  await image.write(0, Buffer.alloc(4 * MiB, 0xab));
  rig.daemon.tickets.add(ticket('t', 'nbd:sim:vol', 4 * MiB, { sparse: true }));
});
afterAll(() => rig.close());

const patch = (body: string, id = 't') => once(rig.daemon, ca, 'PATCH', `/images/${id}`, { 'content-type': 'application/json' }, body);

describe('imageio PATCH zero', () => {
  it('zeroes a byte-exact range, which then reads as zeros and reports as a zero extent', async () => {
    const res = await patch('{"op": "zero", "offset": 1000, "size": 2097152, "flush": false}');
    expect([res.status, res.body.length]).toEqual([200, 0]);
    const back = await image.read(999, 2 * MiB + 2);
    expect([back[0], back[1], back[2 * MiB], back[2 * MiB + 1]]).toEqual([0xab, 0, 0, 0xab]);
    expect(JSON.parse(text(await once(rig.daemon, ca, 'GET', '/images/t/extents')))).toEqual([
      { start: 0, length: 1000, zero: false, hole: false },
      { start: 1000, length: 2 * MiB, zero: true, hole: false },
      { start: 1000 + 2 * MiB, length: 2 * MiB - 1000, zero: false, hole: false },
    ]);
  });

  it('defaults offset to 0 and accepts flush true and unknown keys', async () => {
    expect((await patch('{"op": "zero", "size": 10, "flush": true, "future": 1}')).status).toBe(200);
    expect((await image.read(0, 11)).toString('hex')).toBe('00'.repeat(10) + 'ab');
  });

  it('accepts a zero-size zero', async () => {
    expect((await patch('{"op": "zero", "size": 0}')).status).toBe(200);
  });

  it('answers 416 with Content-Range past the ticket', async () => {
    const res = await patch(`{"op": "zero", "offset": 1, "size": ${4 * MiB}}`);
    expect([res.status, text(res), res.headers['content-range']]).toEqual([416, 'Requested range out of allowed range\n', `bytes */${4 * MiB}`]);
  });

  it.each([
    ['{', /^Invalid JSON message /],
    ['', /^Invalid JSON message Expecting value: line 1 column 1 \(char 0\)$/],
    ['{}', /^Missing required value for op$/],
    ['{"op": "trim"}', /^Unsupported value 'trim' for 'op', expecting one of \['flush', 'zero'\]$/],
    ['{"op": "zero"}', /^Missing required value for 'size'$/],
    ['{"op": "zero", "size": "1"}', /^Integer required '1'$/],
    ['{"op": "zero", "size": -1}', /^Invalid value -1 < 0$/],
    ['{"op": "zero", "size": 1, "offset": -5}', /^Invalid value -5 < 0$/],
    ['{"op": "zero", "size": 1, "flush": "yes"}', /^Boolean required 'yes'$/],
  ])('refuses %j with 400 and keeps the connection', async (body, message) => {
    const client = await RawClient.connect(rig.daemon.port, ca);
    client.request('PATCH', '/images/t', {}, body);
    const res = await client.response();
    expect(res.status).toBe(400);
    expect(text(res).trimEnd()).toMatch(message);
    expect(await stillServes(client)).toBe(true);
    client.destroy();
  });

  it('validates before authorizing', async () => {
    expect((await patch('{"op": "zero"}', 'unknown')).status).toBe(400);
    const res = await patch('{"op": "zero", "size": 1}', 'unknown');
    expect([res.status, res.closed]).toEqual([403, true]);
  });

  it('masks a JSON body that is not an object as 500', async () => {
    expect((await patch('[1, 2]')).status).toBe(500);
  });

  it('needs a write ticket', async () => {
    rig.daemon.tickets.add(ticket('ro', 'nbd:sim:vol', 4 * MiB, { ops: ['read'], transfer_id: 'tx' }));
    const res = await patch('{"op": "flush"}', 'ro');
    expect(text(res)).toBe('You are not allowed to access this resource: Transfer=tx forbids write\n');
  });

  it('zeroes on the file backend too', async () => {
    rig.daemon.tickets.add(ticket('file', 'file:sim:vol', 4 * MiB));
    expect((await patch('{"op": "zero", "offset": 5, "size": 5}', 'file')).status).toBe(200);
    expect((await image.read(4, 7)).toString('hex')).toBe('ab' + '00'.repeat(5) + 'ab');
  });

  it('counts zeroed bytes as transferred for a write ticket and touches it', async () => {
    const t = rig.daemon.tickets.add(ticket('wo', 'nbd:sim:vol', 4 * MiB, { ops: ['write'], timeout: 10 }));
    rig.clock.now += 5;
    await patch('{"op": "zero", "offset": 0, "size": 4096}', 'wo');
    expect(t.info()).toMatchObject({ transferred: 4096, expires: rig.clock.now + 10, active: false });
  });
});

describe('imageio PATCH flush', () => {
  it('flushes with 200 and ignores offset and size', async () => {
    const res = await patch('{"op": "flush", "offset": 99, "size": -3}');
    expect([res.status, res.body.length]).toEqual([200, 0]);
  });
});
