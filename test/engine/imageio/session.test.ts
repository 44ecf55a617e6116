import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createPki } from '../../../main/simulator/pki.js';
import { openImageio } from '../../../main/engine/imageio/session.js';
import type { RawRequest } from './raw-server.js';
import { startImageioFixture, type ImageioFixture } from './sim-fixture.js';
import { memoryLog, MiB, SCRIPTED_TICKET as TICKET, scriptedSession } from './helpers.js';

let fx: ImageioFixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});
const signal = () => new AbortController().signal;

/** A port on which nothing listens. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('openImageio against the simulated imageio', () => {
  it('reads the features and limits of a modern daemon and shows no ticket in its url', async () => {
    fx = await startImageioFixture();
    const t = await fx.addTicket(8 * MiB);
    const log = memoryLog();
    const s = await openImageio({ transferUrl: t.transferUrl, proxyUrl: t.proxyUrl, trust: { caPem: [fx.caPem] }, log, signal: signal() });
    expect(s.features).toEqual({ extents: true, zero: true, flush: true, checksum: true });
    expect([s.maxReaders, s.maxWriters, s.legacy, s.viaProxy]).toEqual([8, 8, false, false]);
    expect(s.url).toBe(`127.0.0.1:${fx.daemon.port} (direct)`);
    expect(log.lines.join('\n')).not.toContain(t.ticketId);
    await s.close();
  });

  it('sees a read-only ticket without zero and flush', async () => {
    fx = await startImageioFixture();
    const t = await fx.addTicket(MiB, ['read']);
    const s = await openImageio({ transferUrl: t.transferUrl, proxyUrl: null, trust: { caPem: [fx.caPem] }, log: memoryLog(), signal: signal() });
    expect(s.features).toEqual({ extents: true, zero: false, flush: false, checksum: true });
    await s.close();
  });

  it('treats a daemon answering OPTIONS with 405 as legacy and sizes the image with a plain GET', async () => {
    fx = await startImageioFixture({ daemon: { legacyOptions: 405, checksum: false, maxConnections: false, signedTicket: null } });
    const t = await fx.addTicket(3 * MiB, ['read']);
    const s = await openImageio({ transferUrl: t.transferUrl, proxyUrl: t.proxyUrl, trust: { caPem: [fx.caPem] }, log: memoryLog(), signal: signal() });
    expect([s.legacy, s.maxReaders, s.maxWriters, s.features.extents]).toEqual([true, 1, 1, false]);
    expect(await s.extents(signal())).toEqual([{ start: 0, length: 3 * MiB, zero: false, hole: false }]);
    // The connection that was cut after the headers does not break the next request.
    await s.options(signal());
    await s.close();
  });

  it('treats a proxy answering OPTIONS with 204 as legacy', async () => {
    fx = await startImageioFixture({ proxy: { legacyOptions: 204, checksum: false, maxConnections: false, signedTicket: null } });
    const t = await fx.addTicket(MiB);
    const s = await openImageio({ transferUrl: null, proxyUrl: t.proxyUrl, trust: { caPem: [fx.caPem] }, log: memoryLog(), signal: signal() });
    expect([s.legacy, s.viaProxy, s.maxWriters]).toEqual([true, true, 1]);
    await s.close();
  });

  it('falls back to proxy_url when nothing listens at transfer_url', async () => {
    fx = await startImageioFixture();
    const t = await fx.addTicket(MiB);
    const dead = `https://127.0.0.1:${await closedPort()}/images/${t.ticketId}`;
    const s = await openImageio({ transferUrl: dead, proxyUrl: t.proxyUrl, trust: { caPem: [fx.caPem] }, log: memoryLog(), signal: signal() });
    expect(s.viaProxy).toBe(true);
    expect(s.url).toBe(`127.0.0.1:${fx.proxy.port} (proxy)`);
    expect(s.features.zero).toBe(true);
    await s.close();
  });

  it('does not fall back to the proxy on a 403: the ticket is gone for both', async () => {
    fx = await startImageioFixture();
    const t = await fx.addTicket(MiB);
    fx.daemon.tickets.remove(t.ticketId); // the proxy still holds its ticket, so a fallback would succeed
    const log = memoryLog();
    const err = await openImageio({ transferUrl: t.transferUrl, proxyUrl: t.proxyUrl, trust: { caPem: [fx.caPem] }, log, signal: signal() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ticket-gone', retryable: false, status: 403 });
    expect((err as Error).message).not.toContain(t.ticketId);
    expect(fx.proxy.tickets.get(t.ticketId)?.connections ?? 0).toBe(0);
  });

  it('reports tls-untrusted when neither server has a trusted certificate', async () => {
    // A TLS listener whose certificate comes from another CA (handshakes fail before any HTTP).
    const stranger = await createPki('Some Other CA');
    const sockets = new Set<Socket>();
    const server = createTlsServer({ key: stranger.server.key, cert: stranger.server.cert });
    server.on('connection', (s: Socket) => sockets.add(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(server.address() as { port: number }).port}/images/6f1c0a44-5a57-4a3f-9c1e-0d2b6a1e7f00`;
    try {
      const err = await openImageio({ transferUrl: url, proxyUrl: url, trust: { caPem: [(await createPki()).caPem] }, log: memoryLog(), signal: signal() }).catch(
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'tls-untrusted', retryable: false });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('sends the signed ticket as Authorization to a legacy proxy', async () => {
    const signedTicket = 'eyJzaWduZWQiOiJ0aWNrZXQifQ.c2lnbmF0dXJl';
    fx = await startImageioFixture({ proxy: { legacyOptions: 204, checksum: false, maxConnections: false, signedTicket: (auth) => auth === signedTicket } });
    const t = await fx.addTicket(MiB);
    fx.proxy.tickets.remove(t.ticketId); // a legacy proxy learns the ticket from the signed ticket only
    const trust = { caPem: [fx.caPem] };
    const without = await openImageio({ transferUrl: null, proxyUrl: t.proxyUrl, trust, log: memoryLog(), signal: signal() }).catch((e: unknown) => e);
    expect(without).toMatchObject({ code: 'ticket-gone', status: 401 });
    const s = await openImageio({ transferUrl: null, proxyUrl: t.proxyUrl, signedTicket, trust, log: memoryLog(), signal: signal() });
    expect(s.viaProxy).toBe(true);
    await s.close();
  });

  it('reconnects transparently after the server dropped an idle keep-alive connection', async () => {
    fx = await startImageioFixture({ timing: { secondMs: 20 } });
    const t = await fx.addTicket(MiB, ['write'], { inactivityTimeout: 1 }); // idle connections die after 20 ms
    const s = await openImageio({ transferUrl: t.transferUrl, proxyUrl: null, trust: { caPem: [fx.caPem] }, log: memoryLog(), signal: signal() });
    await s.options(signal());
    expect(fx.daemon.tickets.get(t.ticketId)!.connections).toBe(1);
    await new Promise((r) => setTimeout(r, 150));
    expect(fx.daemon.tickets.get(t.ticketId)!.connections).toBe(0); // the server dropped it
    await s.options(signal());
    const conn = s.connection();
    await conn.zero(0, 4096, signal());
    await new Promise((r) => setTimeout(r, 150));
    await conn.zero(4096, 4096, signal());
    await conn.close();
    await s.close();
  });
});

describe('ImageioSession against a scripted server', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });

  async function sessionOn(respond: (req: RawRequest) => void) {
    const { server, session, close } = await scriptedSession(respond);
    closers.push(close);
    return { server, s: session };
  }

  const notFound = (req: RawRequest, text: string): void =>
    void req.socket.write(`HTTP/1.1 404 Not Found\r\ncontent-type: text/plain; charset=UTF-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);

  it('reads a 404 on zero extents as "no extents": one data extent sized by a GET without Range', async () => {
    const { server, s } = await sessionOn((req) => {
      if (req.head.startsWith('GET /images/') && req.head.includes('/extents')) return notFound(req, 'Operation not supported: no extents\n');
      req.socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${3 * MiB}\r\n\r\n`);
    });
    expect(await s.extents(signal())).toEqual([{ start: 0, length: 3 * MiB, zero: false, hole: false }]);
    expect(server.requests.map((r) => r.head.split('\r\n')[0])).toEqual([`GET /images/${TICKET}/extents?context=zero HTTP/1.1`, `GET /images/${TICKET} HTTP/1.1`]);
    expect(server.requests[1]!.head.toLowerCase()).not.toContain('range:');
  });

  it('reports a 404 on dirty extents as a server that cannot report changed blocks', async () => {
    const { s } = await sessionOn((req) => notFound(req, 'Ticket does not support dirty extents\n'));
    const err = await s.extents(signal(), 'dirty').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'protocol', retryable: false });
    expect((err as Error).message).toContain('cannot report changed blocks');
  });
});
