import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimImage } from '../../main/simulator/image-store.js';
import { once, startRig, text, ticket, type ImageioRig } from './imageio-helpers.js';

const MiB = 1024 * 1024;
let rig: ImageioRig;
let ca: string;
let image: SimImage;
let pattern: Buffer;

beforeAll(async () => {
  // A 1 MiB server buffer makes multi-piece streaming cheap to test.
  rig = await startRig({ daemon: { bufferSize: MiB } });
  ca = rig.pki.caPem;
  image = await rig.images.create('vol', 8 * MiB);
  pattern = Buffer.alloc(3 * MiB + 123);
  for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 7 + (i >> 13)) & 0xff;
  await image.write(MiB, pattern);
  rig.daemon.tickets.add(ticket('t', 'nbd:sim:vol', 8 * MiB));
});
afterAll(() => rig.close());

describe('imageio GET ranges', () => {
  it('answers bytes=a-b with 206 and the ticket size in Content-Range', async () => {
    const res = await once(rig.daemon, ca, 'GET', '/images/t', { range: `bytes=${MiB}-${MiB + 9}` });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${MiB}-${MiB + 9}/${8 * MiB}`);
    expect(res.headers['content-length']).toBe('10');
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.body).toEqual(pattern.subarray(0, 10));
  });

  it('answers bytes=a- with 206 up to the end', async () => {
    const res = await once(rig.daemon, ca, 'GET', '/images/t', { range: `bytes=${8 * MiB - 5}-` });
    expect([res.status, res.headers['content-length'], res.headers['content-range']]).toEqual([
      206,
      '5',
      `bytes ${8 * MiB - 5}-${8 * MiB - 1}/${8 * MiB}`,
    ]);
  });

  it('answers 200 without Range', async () => {
    const small = await rig.images.create('small', 100);
    await small.write(0, Buffer.alloc(100, 1));
    rig.daemon.tickets.add(ticket('small', 'nbd:sim:small', 100));
    const res = await once(rig.daemon, ca, 'GET', '/images/small');
    expect([res.status, res.headers['content-range'], res.body.length]).toEqual([200, undefined, 100]);
  });

  it.each([
    ['bytes=-5', 'suffix-byte-range-spec not supported yet'],
    ['bytes=0-1,5-6', "Cannot satisfy range 'bytes=0-1,5-6', invalid range or multiple ranges"],
    ['bytes= 0-1', "Cannot satisfy range 'bytes= 0-1', invalid range or multiple ranges"],
    ['items=0-1', "Cannot satisfy range 'items=0-1', invalid range or multiple ranges"],
    ['bytes=0-1x', "Cannot satisfy range 'bytes=0-1x', invalid range or multiple ranges"],
    ['bytes=-', "Cannot satisfy range 'bytes=-', no first or last"],
    ['bytes=9-1', "Cannot satisfy range 'bytes=9-1', first > last"],
  ])('refuses Range %s with 416 and no Content-Range', async (range, message) => {
    const res = await once(rig.daemon, ca, 'GET', '/images/t', { range });
    expect([res.status, text(res), res.headers['content-range']]).toEqual([416, `${message}\n`, undefined]);
  });

  it('refuses a range past the ticket with 416 bytes */ticket-size', async () => {
    const res = await once(rig.daemon, ca, 'GET', '/images/t', { range: `bytes=0-${8 * MiB}` });
    expect([res.status, text(res), res.headers['content-range']]).toEqual([416, 'Requested range out of allowed range\n', `bytes */${8 * MiB}`]);
  });

  it('refuses a range past the image with 416 bytes */available', async () => {
    rig.daemon.tickets.add(ticket('big', 'nbd:sim:vol', 10 * MiB));
    const res = await once(rig.daemon, ca, 'GET', '/images/big', { range: `bytes=${8 * MiB}-${8 * MiB + 99}` });
    expect(res.status).toBe(416);
    expect(text(res)).toBe(`Requested more bytes than available: ${8 * MiB + 100} > ${8 * MiB}\n`);
    expect(res.headers['content-range']).toBe(`bytes */${8 * MiB}`);
  });

  it('clips a whole GET to min(ticket, image)', async () => {
    const bigger = await once(rig.daemon, ca, 'GET', '/images/big');
    expect([bigger.status, bigger.body.length]).toEqual([200, 8 * MiB]);
    rig.daemon.tickets.add(ticket('smaller', 'nbd:sim:vol', MiB + 10));
    const smaller = await once(rig.daemon, ca, 'GET', '/images/smaller');
    expect(smaller.body.equals(Buffer.concat([Buffer.alloc(MiB), pattern.subarray(0, 10)]))).toBe(true);
  });

  it('streams exact bytes across pieces, data and zero ranges', async () => {
    const res = await once(rig.daemon, ca, 'GET', '/images/t', { range: `bytes=${MiB - 100}-${5 * MiB - 1}` });
    const expected = Buffer.alloc(4 * MiB + 100);
    pattern.copy(expected, 100);
    expect(res.body.equals(expected)).toBe(true);
  });

  it('sends an empty 206 for an open range at the very end', async () => {
    const res = await once(rig.daemon, ca, 'GET', '/images/t', { range: `bytes=${8 * MiB}-` });
    expect([res.status, res.body.length]).toEqual([206, 0]);
  });

  it('always sends Content-Disposition, with the raw UTF-8 filename', async () => {
    expect((await once(rig.daemon, ca, 'GET', '/images/t', { range: 'bytes=0-0' })).headers['content-disposition']).toBe('attachment');
    rig.daemon.tickets.add(ticket('named', 'nbd:sim:vol', 8 * MiB, { filename: '\u05d0.raw' }));
    const res = await once(rig.daemon, ca, 'GET', '/images/named', { range: 'bytes=0-0' });
    expect(res.headers['content-disposition']).toBe('attachment; filename=\xd7\x90.raw');
  });
});

describe('imageio GET activity', () => {
  it('counts transferred bytes of a read ticket once per range and ends inactive', async () => {
    const t = rig.daemon.tickets.add(ticket('ro', 'nbd:sim:vol', 8 * MiB, { ops: ['read'] }));
    await once(rig.daemon, ca, 'GET', '/images/ro', { range: 'bytes=0-99' });
    await once(rig.daemon, ca, 'GET', '/images/ro', { range: 'bytes=50-199' });
    expect(t.info()).toMatchObject({ transferred: 200, active: false });
  });

  it('streams a large body through fixed buffers', async () => {
    const size = 256 * MiB;
    await rig.images.create('large', size);
    rig.daemon.tickets.add(ticket('large', 'nbd:sim:large', size));
    const agent = new Agent({ connect: { ca } });
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 10);
    try {
      const res = await request(rig.daemon.imageUrl('large'), { dispatcher: agent });
      let n = 0;
      for await (const chunk of res.body) n += (chunk as Buffer).length;
      expect([res.statusCode, n]).toEqual([200, size]);
    } finally {
      clearInterval(sampler);
      await agent.close();
    }
    expect(peak - before).toBeLessThan(64 * MiB);
  });
});
