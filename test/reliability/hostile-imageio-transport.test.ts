/**
 * Data-plane transport under hostile conditions: answers cut short (retried from the first missing
 * byte, never passed off as complete), bytes after the end of an answer, certificates that must not
 * be trusted (for another name, from another CA) on transfer_url and proxy_url, and the engine 4.1
 * signed ticket, which must reach the proxy and nothing else. The answer matrix is in
 * hostile-imageio.test.ts.
 */
import { createServer, connect, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { DiskFerryError } from '../../main/engine/errors.js';
import { header, reply, requestLine, type HostilePki, type RawRequest } from './hostile-servers.js';
import { kindOf, type StandInImageio } from './hostile-imageio-server.js';
import { asked, failure, OP_OF, redirectTo, RETRY, SIZE, TICKET, useImageioHarness } from './hostile-imageio-harness.js';

const h = useImageioHarness();

describe('an answer cut short (the connection closes before the body is complete)', () => {
  /** Sends the head and the first `keep` bytes of the asked range, then closes the connection. */
  const cutAfter = (keep: number) => (req: RawRequest, image: Buffer) => {
    const [a, b] = asked(req);
    reply(req.socket, 206, { 'content-range': `bytes ${a}-${b}/${image.length}` }, image.subarray(a, a + keep), b - a + 1);
    req.socket.end();
  };

  it('is resumed from the first missing byte and never passed off as complete', async () => {
    let cuts = 0;
    const server: StandInImageio = await h.standIn({ hostile: (req, kind) => kind === 'get' && cuts++ === 0 && (cutAfter(100_000)(req, server.image), true) });
    const written = new Map<number, Buffer>();
    await h.perform('get', await h.open({ transferUrl: `${server.origin}/images/${TICKET}` }, []), written);
    const out = Buffer.alloc(SIZE);
    for (const [offset, data] of written) data.copy(out, offset);
    expect(out.equals(server.image)).toBe(true);
    const ranges = server.requests.filter((r) => kindOf(requestLine(r)) === 'get').map((r) => asked(r));
    // The second request asks for the rest only: from a byte the first answer really delivered
    // (whole 64 KiB pieces are kept; at most the 100 000 bytes sent), to the end.
    expect(ranges).toHaveLength(2);
    expect(ranges[0]).toEqual([0, SIZE - 1]);
    const [resumeAt, end] = ranges[1]!;
    expect(end).toBe(SIZE - 1);
    expect(resumeAt).toBeGreaterThan(0);
    expect(resumeAt).toBeLessThanOrEqual(100_000);
  });

  it('fails as a retryable network error when it happens every time, keeping only verified bytes', async () => {
    const logLines: string[] = [];
    const server: StandInImageio = await h.standIn({ hostile: (req, kind) => kind === 'get' && (cutAfter(70_000)(req, server.image), true) });
    const written = new Map<number, Buffer>();
    const err = await failure(h.open({ transferUrl: `${server.origin}/images/${TICKET}` }, logLines).then((s) => h.perform('get', s, written)));
    expect(err.code).toBe('network');
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/closed the connection before its answer was complete|other side closed|ECONNRESET|UND_ERR_SOCKET/);
    expect(err.message).toMatch(/Check the network/);
    h.expectNoLeak(err, logLines);
    expect(server.requests.filter((r) => kindOf(requestLine(r)) === 'get')).toHaveLength(RETRY.attempts);
    const delivered = [...written.values()].reduce((n, d) => n + d.length, 0);
    expect(delivered).toBeLessThan(SIZE);
    for (const [offset, data] of written) expect(data.equals(server.image.subarray(offset, offset + data.length))).toBe(true);
  });
});

describe('a server that drips its answer (a byte now and then, never quiet for a whole read timeout)', () => {
  it('is given up as too slow after one read timeout, retried, then fails as a network error', async () => {
    const drips: NodeJS.Timeout[] = [];
    const server: StandInImageio = await h.standIn({
      hostile: (req, kind) => {
        if (kind !== 'get') return false;
        const [a, b] = asked(req);
        req.socket.write(`HTTP/1.1 206 Partial Content\r\ncontent-range: bytes ${a}-${b}/${SIZE}\r\ncontent-length: ${b - a + 1}\r\n\r\n`);
        let pos = a;
        const drip = setInterval(() => {
          if (req.socket.destroyed || pos > b) return clearInterval(drip);
          req.socket.write(server.image.subarray(pos, ++pos));
        }, 20);
        drips.push(drip);
        return true;
      },
    });
    const logLines: string[] = [];
    const written = new Map<number, Buffer>();
    try {
      const err = await failure(h.open({ transferUrl: `${server.origin}/images/${TICKET}` }, logLines, { readMs: 400 }).then((s) => h.perform('get', s, written)));
      expect(err.code).toBe('network');
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/the server sent only \d+ bytes in 0\.\d s/);
      h.expectNoLeak(err, logLines);
      expect(server.requests.filter((r) => kindOf(requestLine(r)) === 'get')).toHaveLength(RETRY.attempts);
      expect(written.size).toBe(0); // no 64 KiB piece was ever complete
    } finally {
      for (const d of drips) clearInterval(d);
    }
  });
});

describe('a server that drips a small JSON answer (extents, checksum)', () => {
  it.each(['extents', 'checksum'] as const)('%s: given up after one read timeout, retried, then a network error', async (kind) => {
    const drips: NodeJS.Timeout[] = [];
    const server: StandInImageio = await h.standIn({
      hostile: (req, k) => {
        if (k !== kind) return false;
        req.socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n[');
        const drip = setInterval(() => (req.socket.destroyed ? clearInterval(drip) : req.socket.write(' ')), 20);
        drips.push(drip);
        return true;
      },
      features: ['extents', 'zero', 'flush', 'checksum'],
    });
    const logLines: string[] = [];
    try {
      const err = await failure(h.open({ transferUrl: `${server.origin}/images/${TICKET}` }, logLines, { readMs: 400, longReadMs: 400 }).then((s) => h.perform(kind, s, new Map())));
      expect(err.code).toBe('network');
      expect(err.message).toMatch(/the server sent only \d+ bytes in 0\.\d s/);
      h.expectNoLeak(err, logLines);
    } finally {
      for (const d of drips) clearInterval(d);
    }
  });
});

describe('the pace of an answer counts from its head', () => {
  it('a slow connection set-up before a small answer is not taken for a dripping server', async () => {
    const server: StandInImageio = await h.standIn();
    // A TCP relay that holds every new connection for 600 ms (a slow network or TLS set-up), well
    // over the 300 ms read timeout but inside the connect timeout; then the answers come at once.
    const relay = createServer((client) => {
      client.pause();
      setTimeout(() => {
        const upstream = connect(Number(new URL(server.origin).port), '127.0.0.1', () => {
          client.pipe(upstream).pipe(client);
          client.resume();
        });
        const end = () => (client.destroy(), upstream.destroy());
        upstream.on('error', end);
        client.on('error', end);
      }, 600);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    try {
      const port = (relay.address() as AddressInfo).port;
      const session = await h.open({ transferUrl: `https://127.0.0.1:${port}/images/${TICKET}` }, [], { readMs: 300, connectMs: 5000 });
      await h.perform('extents', session, new Map());
    } finally {
      relay.close();
    }
  });
});

describe('bytes after the end of a 206', () => {
  it('never reach the file: the answer is refused, or the extra bytes are dropped with their connection', async () => {
    const server: StandInImageio = await h.standIn({
      hostile: (req, kind) => {
        if (kind !== 'get') return false;
        const [a, b] = asked(req);
        const head = `HTTP/1.1 206 Partial Content\r\ncontent-range: bytes ${a}-${b}/${SIZE}\r\ncontent-length: ${b - a + 1}\r\n\r\n`;
        req.socket.write(Buffer.concat([Buffer.from(head), server.image.subarray(a, b + 1), Buffer.alloc(4096, 0x55)]));
        return true;
      },
    });
    const written = new Map<number, Buffer>();
    const outcome = await h.open({ transferUrl: `${server.origin}/images/${TICKET}` }, [])
      .then((s) => h.perform('get', s, written))
      .then(
        () => null,
        (e: unknown) => e as DiskFerryError,
      );
    if (outcome) expect(outcome.code).toBe('protocol');
    const bytes = [...written.values()].reduce((n, d) => n + d.length, 0);
    expect(bytes).toBeLessThanOrEqual(SIZE);
    for (const [offset, data] of written) expect(data.equals(server.image.subarray(offset, offset + data.length))).toBe(true);
  });
});

describe('data servers whose certificate must not be trusted', () => {
  const TLS_ROWS = [
    ['a certificate for another host name, from the engine CA', (p: HostilePki) => p.otherName],
    ['a certificate from another CA', (p: HostilePki) => p.otherCa],
  ] as const;

  it.each(TLS_ROWS)('transfer_url with %s: refused before the ticket is sent', async (_name, tls) => {
    const logLines: string[] = [];
    const server = await h.standIn({}, tls(h.pki()));
    const err = await failure(h.open({ transferUrl: `${server.origin}/images/${TICKET}` }, logLines));
    expect(err.code).toBe('tls-untrusted');
    expect(err.message).toMatch(/stopped before sending the transfer ticket.*issued by the trusted engine CA/);
    expect(server.tcpConnections()).toBeGreaterThan(0);
    expect(server.received()).toBe('');
    h.expectNoLeak(err, logLines);
  });

  it('transfer_url and proxy_url both untrusted: refused, and neither server sees the ticket', async () => {
    const logLines: string[] = [];
    const daemon = await h.standIn({}, h.pki().otherName);
    const proxy = await h.standIn({}, h.pki().otherCa);
    const err = await failure(h.open({ transferUrl: `${daemon.origin}/images/${TICKET}`, proxyUrl: `${proxy.origin}/images/${TICKET}` }, logLines));
    expect(err.code).toBe('tls-untrusted');
    expect(err.message).toContain(proxy.address);
    expect([daemon.received(), proxy.received()]).toEqual(['', '']);
    h.expectNoLeak(err, logLines);
  });

  it('an untrusted transfer_url falls back to a trusted proxy_url, and only the proxy sees the ticket', async () => {
    const daemon = await h.standIn({}, h.pki().otherCa);
    const proxy = await h.standIn({});
    const session = await h.open({ transferUrl: `${daemon.origin}/images/${TICKET}`, proxyUrl: `${proxy.origin}/images/${TICKET}` }, []);
    expect(session.viaProxy).toBe(true);
    expect(daemon.received()).toBe('');
    expect(proxy.tickets).toEqual([TICKET]);
  });
});

describe('the engine 4.1 signed ticket (sent as Authorization to the proxy)', () => {
  const SIGNED = 'eyJzaWduZWQiOiJ0aWNrZXQifQ.c2lnbmF0dXJlLWNhbmFyeQ';

  it.each(['options', 'get'] as const)('a redirect of %s is not followed, and the signed ticket goes nowhere else', async (kind) => {
    const logLines: string[] = [];
    const proxy: StandInImageio = await h.standIn({ hostile: (req, k) => k === kind && (void redirectTo(307)(req, proxy.image, h.canary().origin), true) });
    const err = await failure(h.open({ proxyUrl: `${proxy.origin}/images/${TICKET}`, signedTicket: SIGNED }, logLines).then((s) => h.perform(OP_OF[kind], s, new Map())));
    expect(err.code).toBe('protocol');
    expect(err.message).toMatch(/redirect \(HTTP 307\).*never follows/);
    // It was sent where it belongs, and only there.
    expect(proxy.requests.every((r) => header(r, 'authorization') === SIGNED)).toBe(true);
    h.expectNoLeak(err, logLines, [TICKET, SIGNED]);
  });
});
