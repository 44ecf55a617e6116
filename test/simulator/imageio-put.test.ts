import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimImage } from '../../main/simulator/image-store.js';
import { once, RawClient, startRig, stillServes, text, ticket, waitFor, type ImageioRig } from './imageio-helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;
let rig: ImageioRig;
let ca: string;
let image: SimImage;

beforeAll(async () => {
  rig = await startRig({ daemon: { bufferSize: 256 * KiB } });
  ca = rig.pki.caPem;
  image = await rig.images.create('vol', MiB);
});
beforeEach(() => {
  image.zero(0, image.size);
  rig.daemon.tickets.add(ticket('t', 'nbd:sim:vol', MiB));
});
afterAll(() => rig.close());

describe('imageio PUT', () => {
  it('writes the body at Content-Range first and answers 200 with an empty body', async () => {
    const res = await once(rig.daemon, ca, 'PUT', '/images/t?flush=n', { 'content-range': 'bytes 100-109/*' }, 'abcdefghij');
    expect([res.status, res.headers['content-length'], res.body.length]).toEqual([200, '0', 0]);
    expect((await image.read(98, 14)).toString('latin1')).toBe('\0\0abcdefghij\0\0');
  });

  it('writes at offset 0 without Content-Range and streams bodies larger than the buffer', async () => {
    const body = Buffer.alloc(MiB, 0x5a);
    expect((await once(rig.daemon, ca, 'PUT', '/images/t', {}, body)).status).toBe(200);
    expect((await image.read(0, MiB)).equals(body)).toBe(true);
  });

  it('accepts a zero-length PUT', async () => {
    expect((await once(rig.daemon, ca, 'PUT', '/images/t', {}, '')).status).toBe(200);
  });

  it('requires Content-Length, and so refuses chunked bodies', async () => {
    const none = await once(rig.daemon, ca, 'PUT', '/images/t');
    expect([none.status, text(none)]).toEqual([400, 'Content-Length header is required\n']);
    const chunked = await once(rig.daemon, ca, 'PUT', '/images/t', { 'transfer-encoding': 'chunked' }, '4\r\nabcd\r\n0\r\n\r\n');
    expect([chunked.status, text(chunked), chunked.closed]).toEqual([400, 'Content-Length header is required\n', true]);
  });

  it('refuses invalid and negative Content-Length', async () => {
    expect(text(await once(rig.daemon, ca, 'PUT', '/images/t', { 'content-length': 'abc' }))).toBe("Invalid Content-Length: 'abc'\n");
    expect(text(await once(rig.daemon, ca, 'PUT', '/images/t', { 'content-length': '-1' }))).toBe("Negative Content-Length: '-1'\n");
  });

  it.each(['bytes 7-13/20', 'bytes 0-6/*', 'bytes 0-*/*', 'bytes 7-*/20'])('accepts Content-Range %s', async (range) => {
    expect((await once(rig.daemon, ca, 'PUT', '/images/t', { 'content-range': range }, 'x')).status).toBe(200);
  });

  it.each([
    ['7-13/20', "Invalid Content-Range '7-13/20'"],
    ['bytes 7-13', "Invalid Content-Range 'bytes 7-13'"],
    ['bytes 13-7/20', "Invalid Content-Range 'bytes 13-7/20', first > last"],
    ['bytes 7-20/20', "Invalid Content-Range 'bytes 7-20/20', last >= complete"],
    ['', "Invalid Content-Range ''"],
  ])('refuses Content-Range %j with 400', async (range, message) => {
    const res = await once(rig.daemon, ca, 'PUT', '/images/t', { 'content-range': range }, 'x');
    expect([res.status, text(res)]).toEqual([400, `${message}\n`]);
  });

  it('uses only first of Content-Range: the length comes from Content-Length', async () => {
    const res = await once(rig.daemon, ca, 'PUT', '/images/t', { 'content-range': `bytes ${MiB - 1}-${MiB}/*` }, 'z');
    expect(res.status).toBe(200);
    expect((await image.read(MiB - 1, 1)).toString()).toBe('z');
  });

  it('validates ?flush', async () => {
    expect((await once(rig.daemon, ca, 'PUT', '/images/t?flush=y', {}, 'x')).status).toBe(200);
    const res = await once(rig.daemon, ca, 'PUT', '/images/t?flush=x', {}, 'x');
    expect([res.status, text(res)]).toEqual([400, "Unsupported value 'x' for 'flush', expecting one of ['n', 'y']\n"]);
  });

  it('answers 416 past the ticket before reading the body, then closes', async () => {
    const res = await once(rig.daemon, ca, 'PUT', '/images/t', { 'content-range': `bytes ${MiB}-${MiB}/*` }, 'x');
    expect([res.status, text(res), res.headers['content-range']]).toEqual([416, 'Requested range out of allowed range\n', `bytes */${MiB}`]);
    expect([res.headers['connection'], res.closed]).toEqual(['close', true]);
    expect(image.data.count).toBe(0);
  });

  it('answers an early error without waiting for the announced body', async () => {
    const client = await RawClient.connect(rig.daemon.port, ca);
    client.request('PUT', '/images/unknown', { 'content-length': 512 * MiB });
    client.send(Buffer.alloc(64 * KiB));
    const res = await client.response(2000);
    expect([res.status, res.headers['connection']]).toEqual([403, 'close']);
    expect(await client.closedWithin(2000)).toBe(true);
  });

  it('keeps the connection after a request whose body was read', async () => {
    const client = await RawClient.connect(rig.daemon.port, ca);
    client.request('PUT', '/images/t', {}, 'abc');
    expect((await client.response()).status).toBe(200);
    expect(await stillServes(client)).toBe(true);
    client.destroy();
  });

  it('answers 400 for a short body, having written what arrived', async () => {
    const client = await RawClient.connect(rig.daemon.port, ca);
    client.request('PUT', '/images/t', { 'content-length': 100 });
    client.send('y'.repeat(40));
    client.socket.end();
    const res = await client.response();
    expect([res.status, text(res)]).toEqual([400, 'Requested 100 bytes, available 40 bytes\n']);
    expect((await image.read(0, 41)).toString()).toBe('y'.repeat(40) + '\0');
  });

  it('fails with 500 when writing past the end of an NBD export', async () => {
    rig.daemon.tickets.add(ticket('over', 'nbd:sim:vol', 2 * MiB));
    const res = await once(rig.daemon, ca, 'PUT', '/images/over', { 'content-range': `bytes ${MiB}-${MiB}/*` }, 'x');
    expect([res.status, text(res)]).toEqual([500, 'Server failed to perform the request, check logs\n']);
  });

  it('extends a file-backend image written past its end', async () => {
    const file = await rig.images.create('grow', 10);
    rig.daemon.tickets.add(ticket('grow', 'file:sim:grow', 100));
    expect((await once(rig.daemon, ca, 'PUT', '/images/grow', { 'content-range': 'bytes 20-*/*' }, 'x')).status).toBe(200);
    expect(file.size).toBe(21);
  });

  it('reports progress of a write ticket while the body streams, and touches it after', async () => {
    const t = rig.daemon.tickets.add(ticket('wo', 'nbd:sim:vol', MiB, { ops: ['write'], timeout: 100 }));
    rig.clock.now += 30;
    const client = await RawClient.connect(rig.daemon.port, ca);
    client.request('PUT', '/images/wo', { 'content-length': 512 * KiB });
    client.send(Buffer.alloc(256 * KiB, 1));
    await waitFor(() => t.transferred() === 256 * KiB);
    expect(t.info()).toMatchObject({ active: true, idle_time: 0 });
    client.send(Buffer.alloc(256 * KiB, 1));
    expect((await client.response()).status).toBe(200);
    expect(t.info()).toMatchObject({ active: false, transferred: 512 * KiB, expires: rig.clock.now + 100 });
    client.destroy();
  });

  it('records written zero blocks as zero extents', async () => {
    const body = Buffer.concat([Buffer.alloc(64 * KiB, 1), Buffer.alloc(128 * KiB)]);
    expect((await once(rig.daemon, ca, 'PUT', '/images/t', {}, body)).status).toBe(200);
    expect(JSON.parse(text(await once(rig.daemon, ca, 'GET', '/images/t/extents')))).toEqual([
      { start: 0, length: 64 * KiB, zero: false, hole: false },
      { start: 64 * KiB, length: MiB - 64 * KiB, zero: true, hole: false },
    ]);
  });
});
