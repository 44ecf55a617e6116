import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Blkhash } from '../../main/engine/image/blkhash.js';
import { once, RawClient, startRig, stillServes, text, ticket, type ImageioRig } from './imageio-helpers.js';

const MiB = 1024 * 1024;
let rig: ImageioRig;
let ca: string;

beforeAll(async () => {
  rig = await startRig();
  ca = rig.pki.caPem;
  await rig.images.create('zeros', 4 * MiB + 1);
  const aaa = await rig.images.create('aaa', 8 * MiB);
  await aaa.write(0, Buffer.alloc(8 * MiB, 'a'));
  // `x`*4096 + zeros to 8 MiB + `end`: one data block, one zero block, a short data tail.
  const mixed = await rig.images.create('mixed', 8 * MiB + 3);
  await mixed.write(0, Buffer.alloc(4096, 'x'));
  await mixed.write(8 * MiB, Buffer.from('end'));
  await rig.images.create('empty', 0);
  for (const id of ['zeros', 'aaa', 'mixed', 'empty']) {
    const size = rig.images.get(id)!.size;
    rig.daemon.tickets.add(ticket(id, `nbd:sim:${id}`, size, { ops: ['read'] }));
    rig.daemon.tickets.add(ticket(`${id}-file`, `file:sim:${id}`, size, { ops: ['read'] }));
  }
});
afterAll(() => rig.close());

async function checksum(id: string, query = ''): Promise<Record<string, unknown>> {
  const res = await once(rig.daemon, ca, 'GET', `/images/${id}/checksum${query}`);
  expect(res.status).toBe(200);
  return JSON.parse(text(res)) as Record<string, unknown>;
}

describe('imageio checksum', () => {
  it('matches the 4 MiB+1 zeros vector through a real ticket', async () => {
    const res = await once(rig.daemon, ca, 'GET', '/images/zeros/checksum');
    expect(text(res)).toBe(
      '{"algorithm": "blake2b", "block_size": 4194304, "checksum": "b25edc682573ea136a500d208a75fd6e327fda7b7f6d083bcd77fc1d6647bc1f"}\n',
    );
    expect((await checksum('zeros', '?algorithm=sha256')).checksum).toBe('14a4d47f23a30177885d9820122f17d2d3a55fe63f7f5c27b95f689e0b2accd6');
  });

  it('matches the 8 MiB of a vectors for both block sizes', async () => {
    expect((await checksum('aaa')).checksum).toBe('76d1af83611e66d863269b6168e9e728d0f33fa2f1419862681a5b2cc75db888');
    expect(await checksum('aaa', '?block_size=1048576')).toEqual({
      algorithm: 'blake2b',
      block_size: MiB,
      checksum: 'cf3bf66d2e44cbe9c8c3d52688ad9fc50119d12930804496db8b2b4aa0c4b697',
    });
  });

  it('matches the mixed vector on the nbd and the file backend', async () => {
    for (const id of ['mixed', 'mixed-file']) {
      expect((await checksum(id)).checksum).toBe('402b741506bc64b2432a7c2fb55ab3188ffb26cf512b8e719bb8b3714db88789');
      expect((await checksum(id, '?algorithm=blake2s')).checksum).toBe('798f4efe10e45b693e28dea487a424f971188da8503b46bfdabc1f61eaea4a88');
    }
  });

  it('hashes an empty image as H("")', async () => {
    expect((await checksum('empty')).checksum).toBe('0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8');
  });

  it('equals a local Blkhash of the same random bytes', async () => {
    const data = randomBytes(5 * MiB + 17);
    const img = await rig.images.create('random', data.length);
    await img.write(0, data);
    rig.daemon.tickets.add(ticket('random', 'nbd:sim:random', data.length));
    const local = await Blkhash.create({ algorithm: "sha256", blockSize: 2 * MiB });
    local.update(data);
    expect((await checksum('random', '?algorithm=sha256&block_size=2097152')).checksum).toBe(local.digest());
  });

  it.each([
    ['?algorithm=md5', "Unsupported value 'md5' for 'algorithm', expecting one of ['blake2b', 'blake2s', 'sha1', 'sha256', 'sha512']"],
    ['?block_size=abc', "Invalid block size: 'abc'"],
    ['?block_size=1044480', 'Block size out of allowed range: 1048576-16777216'],
    ['?block_size=16781312', 'Block size out of allowed range: 1048576-16777216'],
    ['?block_size=1050000', 'Block size is not aligned to 4096'],
  ])('refuses %s with 400 before authorizing', async (query, message) => {
    const res = await once(rig.daemon, ca, 'GET', `/images/unknown/checksum${query}`);
    expect([res.status, text(res)]).toEqual([400, `${message}\n`]);
  });

  it('runs as a ticket operation: touches and counts the bytes read', async () => {
    const t = rig.daemon.tickets.add(ticket('op', 'nbd:sim:aaa', 8 * MiB, { ops: ['read'], timeout: 40 }));
    rig.clock.now += 7;
    await checksum('op');
    expect(t.info()).toMatchObject({ transferred: 8 * MiB, expires: rig.clock.now + 40, active: false });
  });
});

describe('imageio extents', () => {
  it('reports merged zero extents of the whole image (nbd)', async () => {
    const res = await once(rig.daemon, ca, 'GET', '/images/mixed/extents?context=zero');
    expect(res.headers['content-type']).toBe('application/json');
    expect(text(res)).toBe(
      '[{"start": 0, "length": 4096, "zero": false, "hole": false}, ' +
        `{"start": 4096, "length": ${8 * MiB - 4096}, "zero": true, "hole": false}, ` +
        `{"start": ${8 * MiB}, "length": 3, "zero": false, "hole": false}]\n`,
    );
  });

  it('reports one data extent on the file backend', async () => {
    const res = await once(rig.daemon, ca, 'GET', '/images/mixed-file/extents');
    expect(JSON.parse(text(res))).toEqual([{ start: 0, length: 8 * MiB + 3, zero: false, hole: false }]);
  });

  it('authorizes before validating context', async () => {
    expect((await once(rig.daemon, ca, 'GET', '/images/unknown/extents?context=bad')).status).toBe(403);
    const res = await once(rig.daemon, ca, 'GET', '/images/mixed/extents?context=bad');
    expect([res.status, text(res)]).toEqual([400, "Unsupported value 'bad' for 'context', expecting one of ['dirty', 'zero']\n"]);
  });

  it('answers 404 for dirty extents unless the ticket is dirty and the backend can', async () => {
    const plain = await once(rig.daemon, ca, 'GET', '/images/mixed/extents?context=dirty');
    expect([plain.status, text(plain)]).toEqual([404, 'Ticket does not support dirty extents\n']);
    rig.daemon.tickets.add(ticket('dirty-file', 'file:sim:mixed', 8 * MiB + 3, { dirty: true }));
    const file = await once(rig.daemon, ca, 'GET', '/images/dirty-file/extents?context=dirty');
    expect([file.status, text(file)]).toEqual([404, 'Operation not supported: Backend file does not support dirty extents\n']);
  });

  it('reports dirty extents with zero flags on a dirty nbd ticket', async () => {
    const img = await rig.images.create('inc', 3 * MiB);
    await img.write(0, Buffer.alloc(MiB, 1));
    img.checkpoint();
    await img.write(MiB, Buffer.alloc(MiB, 2));
    img.zero(0, 4096);
    rig.daemon.tickets.add(ticket('inc', 'nbd:sim:inc', 3 * MiB, { dirty: true }));
    const res = await once(rig.daemon, ca, 'GET', '/images/inc/extents?context=dirty');
    expect(JSON.parse(text(res))).toEqual([
      { start: 0, length: 4096, dirty: true, zero: true },
      { start: 4096, length: MiB - 4096, dirty: false, zero: false },
      { start: MiB, length: MiB, dirty: true, zero: false },
      { start: 2 * MiB, length: MiB, dirty: false, zero: true },
    ]);
  });

  it('does not touch the ticket and keeps the connection', async () => {
    const t = rig.daemon.tickets.add(ticket('quiet', 'nbd:sim:mixed', 8 * MiB + 3, { ops: ['read'], timeout: 30 }));
    const expires = t.expires;
    rig.clock.now += 10;
    const client = await RawClient.connect(rig.daemon.port, ca);
    client.request('GET', '/images/quiet/extents');
    expect((await client.response()).status).toBe(200);
    expect(t.info()).toMatchObject({ expires, idle_time: 10, active: false, transferred: 0 });
    expect(await stillServes(client)).toBe(true);
    client.destroy();
  });
});
