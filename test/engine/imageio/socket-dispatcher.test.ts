/**
 * The ranged-GET path on its own sockets (SocketDispatcher behind ImageioConnection.get): answers a
 * correct imageio never gives are refused or survived as such, and the connection is kept alive
 * between ranges. The parser's rules, case by case, are in http/response-parser.test.ts, and
 * checked against llhttp in http/response-parser-fuzz.test.ts.
 */
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { ImageioConnection, DEFAULT_TIMEOUTS, type ConnectionDeps } from '../../../main/engine/imageio/connection.js';
import { allocPieceBuffers } from '../../../main/engine/imageio/put-body.js';
import { exchange } from '../../../main/engine/imageio/exchange.js';
import { SocketDispatcher } from '../../../main/engine/imageio/http/socket-dispatcher.js';
import { createPki } from '../../../main/simulator/pki.js';
import { silentLog } from '../../../main/engine/log.js';
import { RAW_TICKET, rawConnection, startRawServer, type RawRequest } from './raw-server.js';

const TICKET = RAW_TICKET;
const deps: ConnectionDeps = {
  tls: {},
  log: silentLog,
  sleep: async () => {},
  random: () => 0.5,
  retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
  timeouts: DEFAULT_TIMEOUTS,
};
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

const setup = (respond: (req: RawRequest) => void | Promise<void>) => rawConnection(respond, deps, closers);

const DATA = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
const range = (req: RawRequest) => /range: bytes=(\d+)-(\d+)/i.exec(req.head)!.slice(1).map(Number) as [number, number];
const partial = (a: number, b: number) => Buffer.concat([Buffer.from(`HTTP/1.1 206 Partial Content\r\ncontent-range: bytes ${a}-${b}/100\r\ncontent-length: ${b - a + 1}\r\n\r\n`), DATA.subarray(a, b + 1)]);
const signal = () => new AbortController().signal;

async function fetch(conn: ImageioConnection, offset: number, length: number): Promise<Buffer> {
  const out = Buffer.alloc(100);
  await conn.get(offset, length, allocPieceBuffers(16), async (at, chunk) => void chunk.copy(out, at), signal());
  return out.subarray(offset, offset + length);
}

describe('ranged GET on its own socket', () => {
  it('keeps one connection alive across ranges, each request with its Host and Range', async () => {
    const { server, conn } = await setup((req) => {
      const [a, b] = range(req);
      req.socket.write(partial(a, b));
    });
    expect((await fetch(conn, 0, 50)).equals(DATA.subarray(0, 50))).toBe(true);
    expect((await fetch(conn, 50, 50)).equals(DATA.subarray(50))).toBe(true);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.socket).toBe(server.requests[0]!.socket);
    expect(server.requests[0]!.head).toMatch(/^GET \/images\/[^ ]+ HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\nrange: bytes=0-49$/);
  });

  it('skips an interim 100 answer and reads the 206 after it', async () => {
    const { conn } = await setup((req) => {
      const [a, b] = range(req);
      req.socket.write(Buffer.concat([Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'), partial(a, b)]));
    });
    expect((await fetch(conn, 10, 20)).equals(DATA.subarray(10, 30))).toBe(true);
  });

  it('decodes a chunked 503 error text, retries it, and then takes the data', async () => {
    let n = 0;
    const { server, conn } = await setup((req) => {
      const [a, b] = range(req);
      if (n++ > 0) return void req.socket.write(partial(a, b));
      req.socket.write('HTTP/1.1 503 Service Unavailable\r\ntransfer-encoding: chunked\r\n\r\n5\r\nbusy \r\n4;x=y\r\nnow\n\r\n0\r\n\r\n');
    });
    expect((await fetch(conn, 0, 100)).equals(DATA)).toBe(true);
    expect(server.requests).toHaveLength(2);
    expect(conn.retries).toBe(1);
  });

  it('puts a 403 text into the error, without the ticket id, and does not retry', async () => {
    const { server, conn } = await setup((req) => {
      const text = `You are not allowed to access this resource: No such ticket ${TICKET}\n`;
      req.socket.write(`HTTP/1.1 403 Forbidden\r\ncontent-length: ${text.length}\r\n\r\n${text}`);
    });
    const err = (await fetch(conn, 0, 10).catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('ticket-gone');
    expect(err.message).toContain('No such ticket');
    expect(err.message).not.toContain(TICKET);
    expect(server.requests).toHaveLength(1);
  });

  it('refuses bytes past the announced end of a 206 as a protocol error', async () => {
    const { conn } = await setup((req) => {
      const [a, b] = range(req);
      req.socket.write(Buffer.concat([partial(a, b), Buffer.from('garbage')]));
    });
    await expect(fetch(conn, 0, 10)).rejects.toMatchObject({ code: 'protocol' });
  });

  it('refuses a 206 with a Content-Range for other bytes', async () => {
    const { conn } = await setup((req) => {
      req.socket.write('HTTP/1.1 206 Partial Content\r\ncontent-range: bytes 1-10/100\r\ncontent-length: 10\r\n\r\n0123456789');
    });
    await expect(fetch(conn, 0, 10)).rejects.toMatchObject({ code: 'protocol' });
  });

  it('refuses a garbled status line as a protocol error, without retrying', async () => {
    const { server, conn } = await setup((req) => void req.socket.write('HTTP/1.1 2O6 Partial\r\ncontent-length: 10\r\n\r\n0123456789'));
    await expect(fetch(conn, 0, 10)).rejects.toMatchObject({ code: 'protocol' });
    expect(server.requests).toHaveLength(1);
  });

  it('asks again for the rest when the server closes the connection mid-body', async () => {
    let n = 0;
    const { server, conn } = await setup((req) => {
      const [a, b] = range(req);
      if (n++ > 0) return void req.socket.write(partial(a, b));
      const whole = partial(a, b);
      req.socket.end(whole.subarray(0, whole.length - (b - a + 1) + 40)); // head + 40 bytes, then FIN
    });
    expect((await fetch(conn, 0, 100)).equals(DATA)).toBe(true);
    expect(server.requests.length).toBe(2);
    expect(range(server.requests[1]!)[0]).toBe(32); // two full 16-byte buffers were kept
  });
});

describe('connections and timeouts of the socket dispatcher', () => {
  it('closes an HTTP/1.0 connection after its answer and connects again for the next range', async () => {
    const { server, conn } = await setup((req) => {
      const [a, b] = range(req);
      req.socket.write(partial(a, b).toString('latin1').replace('HTTP/1.1', 'HTTP/1.0'), 'latin1');
    });
    await fetch(conn, 0, 10);
    await fetch(conn, 10, 10);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.socket).not.toBe(server.requests[0]!.socket);
  });

  it('connects again after an answer that says connection: close', async () => {
    const { server, conn } = await setup((req) => {
      const [a, b] = range(req);
      req.socket.write(partial(a, b).toString('latin1').replace('\r\n\r\n', '\r\nconnection: close\r\n\r\n'), 'latin1');
    });
    await fetch(conn, 0, 10);
    await fetch(conn, 10, 10);
    expect(server.requests[1]!.socket).not.toBe(server.requests[0]!.socket);
  });

  it('refuses a head with LF-only line ends at once, as a protocol error, without retrying', async () => {
    const { server, conn } = await setup((req) => void req.socket.write('HTTP/1.1 206 Partial Content\ncontent-range: bytes 0-9/100\ncontent-length: 10\n\n0123456789'));
    const started = Date.now();
    await expect(fetch(conn, 0, 10)).rejects.toMatchObject({ code: 'protocol' });
    expect(Date.now() - started).toBeLessThan(2000); // not the 60 s read timeout
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    ['never answers', (_req: RawRequest) => {}, /no answer from the server within 0\.3 s/],
    ['stops in the middle of the body', (req: RawRequest) => void req.socket.write(partial(...range(req)).subarray(0, 100)), /no data from the server for 0\.3 s/],
  ])('gives up on a server that %s after the read timeout, retrying it as a network error', async (_what, respond, says) => {
    const server = await startRawServer(respond);
    const timeouts = { ...DEFAULT_TIMEOUTS, readMs: 300 };
    const conn = new ImageioConnection({ origin: server.origin, path: `/images/${TICKET}`, display: 'raw (direct)', viaProxy: false, secrets: [TICKET], authorization: null }, { ...deps, timeouts });
    closers.push(() => conn.close(), () => server.close());
    const err = (await fetch(conn, 0, 100).catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('network');
    expect(err.message).toMatch(says);
    expect(server.requests).toHaveLength(3);
  });
});

describe('a chunk the handler holds while paused', () => {
  it('stays intact over TLS while more records arrive, until the handler resumes', async () => {
    const pki = await createPki();
    const body = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(i, i);
    const server = createTlsServer({ key: pki.server.key, cert: pki.server.cert }, (socket) => {
      socket.once('data', () => {
        socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
        for (let i = 0; i < body.length; i += 1000) socket.write(body.subarray(i, i + 1000)); // many small TLS records
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const dispatcher = new SocketDispatcher({ origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, tls: { ca: pki.caPem }, connectMs: 5000, idleMs: 5000 });
    closers.push(async () => {
      dispatcher.close();
      await new Promise((r) => server.close(r));
    });
    const received: Buffer[] = [];
    const checks: boolean[] = [];
    await new Promise<void>((resolve, reject) => {
      let n = 0;
      dispatcher.dispatch(
        { method: 'GET', path: '/', headersTimeout: 5000, bodyTimeout: 5000 },
        {
          onResponseData(ctrl, chunk) {
            if (n++ % 8 !== 0) return void received.push(Buffer.from(chunk));
            // Keep the chunk itself (no copy) over a pause, as the range receiver does.
            const copy = Buffer.from(chunk);
            ctrl.pause();
            setTimeout(() => {
              checks.push(chunk.equals(copy));
              received.push(copy);
              ctrl.resume();
            }, 5);
          },
          onResponseEnd: () => resolve(),
          onResponseError: (_ctrl, err) => reject(err),
        },
      );
    });
    expect(checks.length).toBeGreaterThan(10);
    expect(checks.every(Boolean)).toBe(true);
    expect(Buffer.concat(received).equals(body)).toBe(true);
  });
});

describe('an answer paused when the server ends the connection', () => {
  it.each([
    ['read until close', ''],
    ['with Content-Length and connection: close', 'content-length: 200000\r\nconnection: close\r\n'],
  ])('%s: completes with every byte once the handler resumes (undici 7.30 crashes here: nodejs/undici#5360)', async (_what, fields) => {
    const body = Buffer.alloc(200_000, 0x61);
    const server = await startRawServer((req) => {
      req.socket.write(`HTTP/1.1 200 OK\r\n${fields}\r\n`);
      req.socket.end(body);
    });
    const dispatcher = new SocketDispatcher({ origin: server.origin, tls: {}, connectMs: 5000, idleMs: 5000 });
    closers.push(async () => (dispatcher.close(), await server.close()));
    const got: Buffer[] = [];
    const receiver = {
      accept: () => true,
      onData: (chunk: Buffer) => new Promise<void>((r) => setTimeout(() => (got.push(Buffer.from(chunk)), r()), 20)),
    };
    const res = await exchange(dispatcher, { method: 'GET', path: '/', headers: {}, body: null, headersTimeout: 5000, bodyTimeout: 5000, signal: signal() }, { receiver });
    expect(res.status).toBe(200);
    expect(Buffer.concat(got).equals(body)).toBe(true);
  });
});
