import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once, RawClient, startRig, stillServes, text, ticket, type ImageioRig } from './imageio-helpers.js';

let rig: ImageioRig;
let ca: string;

beforeAll(async () => {
  rig = await startRig();
  ca = rig.pki.caPem;
  await rig.images.create('vol', 1 << 20);
  rig.daemon.tickets.add(ticket('t1', 'nbd:sim:vol', 1 << 20));
});
afterAll(() => rig.close());

describe('imageio routing', () => {
  it('answers unknown paths with 404 No handler', async () => {
    const res = await once(rig.daemon, ca, 'GET', '/nothing/here');
    expect(res.status).toBe(404);
    expect(text(res)).toBe("No handler for '/nothing/here'\n");
  });

  it('needs the trailing slash on /info/', async () => {
    expect((await once(rig.daemon, ca, 'GET', '/info')).status).toBe(404);
    const res = await once(rig.daemon, ca, 'GET', '/info/');
    expect(res.status).toBe(200);
    expect(text(res)).toBe('{"version": "2.5.3"}\n');
    expect(res.headers['content-type']).toBe('application/json');
  });

  it('refuses HEAD with 405', async () => {
    const res = await once(rig.daemon, ca, 'HEAD', '/images/t1');
    expect(res.status).toBe(405);
    expect(text(res)).toBe("Method 'HEAD' not defined for '/images/t1'\n");
  });

  it('refuses methods a handler lacks and unknown methods', async () => {
    const del = await once(rig.daemon, ca, 'DELETE', '/images/t1');
    expect([del.status, text(del)]).toEqual([405, "Method 'DELETE' not defined for '/images/t1'\n"]);
    const opt = await once(rig.daemon, ca, 'OPTIONS', '/images/t1/extents');
    expect([opt.status, text(opt)]).toEqual([405, "Method 'OPTIONS' not defined for '/images/t1/extents'\n"]);
    const foo = await once(rig.daemon, ca, 'FOO', '/images/t1');
    expect([foo.status, text(foo)]).toEqual([405, "Invalid method 'FOO'\n"]);
  });

  it('requires a ticket id on every images route', async () => {
    for (const path of ['/images/', '/images//extents', '/images//checksum']) {
      const res = await once(rig.daemon, ca, 'GET', path);
      expect([path, res.status, text(res)]).toEqual([path, 400, 'Ticket id is required\n']);
    }
  });

  it('serves checksum algorithms without authorization, for any id', async () => {
    const res = await once(rig.daemon, ca, 'GET', '/images/bogus/checksum/algorithms');
    expect(res.status).toBe(200);
    expect(text(res)).toBe('{"algorithms": ["blake2b", "blake2s", "sha1", "sha256", "sha512"]}\n');
  });

  it('percent-decodes the path before matching', async () => {
    const res = await once(rig.daemon, ca, 'OPTIONS', '/images/%74%31');
    expect(res.status).toBe(200);
  });

  it('writes lowercase server, date and content-length first, and never chunks', async () => {
    const res = await once(rig.daemon, ca, 'OPTIONS', '/images/*');
    expect(res.rawHeaders[0]).toBe('server: imageio/2.5.3');
    expect(res.rawHeaders[1]).toMatch(/^date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(res.rawHeaders[2]).toBe(`content-length: ${res.body.length}`);
    expect(res.rawHeaders.map((l) => l.slice(0, l.indexOf(':'))).every((n) => n === n.toLowerCase())).toBe(true);
    expect(res.headers['transfer-encoding']).toBeUndefined();
  });

  it('sends errors as UTF-8 text with a trailing newline', async () => {
    const res = await once(rig.daemon, ca, 'GET', '/images/nope');
    expect(res.headers['content-type']).toBe('text/plain; charset=UTF-8');
    expect(text(res).endsWith('\n')).toBe(true);
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
  });

  it('keeps the connection alive between requests', async () => {
    const client = await RawClient.connect(rig.daemon.port, ca);
    client.request('GET', '/images/t1', { range: 'bytes=0-3' });
    expect((await client.response()).status).toBe(206);
    expect(await stillServes(client)).toBe(true);
    client.destroy();
  });

  it('closes after the response when asked with ?close=y or Connection: close', async () => {
    const a = await once(rig.daemon, ca, 'GET', '/images/t1?close=y', { range: 'bytes=0-3' });
    expect([a.status, a.headers['connection'], a.closed]).toEqual([206, 'close', true]);
    const client = await RawClient.connect(rig.daemon.port, ca);
    client.request('GET', '/images/t1', { range: 'bytes=0-3', connection: 'close' });
    expect((await client.response()).status).toBe(206);
    expect(await client.closedWithin(1000)).toBe(true);
  });

  it('answers 100 Continue before the handler runs', async () => {
    const client = await RawClient.connect(rig.daemon.port, ca);
    client.request('PUT', '/images/t1', { 'content-length': 4, expect: '100-continue' });
    await new Promise((r) => setTimeout(r, 50));
    client.send('abcd');
    const res = await client.response();
    expect(res.status).toBe(200);
    client.destroy();
  });

  it('serves pipelined requests in order', async () => {
    const client = await RawClient.connect(rig.daemon.port, ca);
    client.send('OPTIONS /images/* HTTP/1.1\r\nhost: x\r\n\r\nGET /info/ HTTP/1.1\r\nhost: x\r\n\r\n');
    expect(text(await client.response())).toContain('features');
    expect(text(await client.response())).toContain('version');
    client.destroy();
  });

  it('answers a garbage request line with a stdlib 400 and closes', async () => {
    const client = await RawClient.connect(rig.daemon.port, ca);
    client.send('HELLO\r\n\r\n');
    const res = await client.response();
    expect([res.status, res.headers['content-type']]).toEqual([400, 'text/html;charset=utf-8']);
    expect(await client.closedWithin(1000)).toBe(true);
  });

  it('answers an overlong request line with 414', async () => {
    const res = await once(rig.daemon, ca, 'GET', `/images/${'x'.repeat(5000)}`);
    expect(res.status).toBe(414);
  });
});

describe('imageio CORS', () => {
  const cors = { origin: 'https://engine', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-range' };

  it('adds CORS headers to images GET, PUT, OPTIONS and info, also on errors', async () => {
    const opt = await once(rig.daemon, ca, 'OPTIONS', '/images/t1', cors);
    expect(opt.headers['access-control-allow-origin']).toBe('*');
    expect(opt.headers['access-control-allow-headers']).toBe('*');
    expect(opt.headers['access-control-allow-methods']).toBe('OPTIONS,GET,PUT');
    expect(opt.headers['access-control-max-age']).toBe('86400');
    const get = await once(rig.daemon, ca, 'GET', '/images/unknown', cors);
    expect([get.status, get.headers['access-control-allow-methods']]).toEqual([403, '*']);
    const info = await once(rig.daemon, ca, 'GET', '/info/', { origin: 'x' });
    expect(info.headers['access-control-allow-origin']).toBe('*');
    expect(info.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('adds nothing without CORS request headers, and nothing to PATCH, extents or checksum', async () => {
    expect((await once(rig.daemon, ca, 'OPTIONS', '/images/t1')).headers['access-control-allow-origin']).toBeUndefined();
    const patch = await once(rig.daemon, ca, 'PATCH', '/images/t1', cors, '{"op":"flush"}');
    expect([patch.status, patch.headers['access-control-allow-origin']]).toEqual([200, undefined]);
    expect((await once(rig.daemon, ca, 'GET', '/images/t1/extents', cors)).headers['access-control-allow-origin']).toBeUndefined();
    expect((await once(rig.daemon, ca, 'GET', '/images/t1/checksum', cors)).headers['access-control-allow-origin']).toBeUndefined();
  });
});
