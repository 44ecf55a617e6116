/**
 * Request bodies on the SocketDispatcher, which carries every data-plane request (PUT, PATCH,
 * OPTIONS, extents, checksum and ranged GETs): a PUT's pieces arrive whole and in order although
 * the body reuses two small buffers, a PATCH goes out with its head in one write, an early answer
 * or a short source fails the request without a hang and without reusing the connection, and the
 * data plane's modules do not load undici (its module and WASM parser cost ~45 MiB of peak memory).
 */
import { readFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUTS, type ConnectionDeps } from '../../../../main/engine/imageio/connection.js';
import { allocPieceBuffers, type RangeSource } from '../../../../main/engine/imageio/put-body.js';
import { exchange } from '../../../../main/engine/imageio/exchange.js';
import { SocketDispatcher } from '../../../../main/engine/imageio/http/socket-dispatcher.js';
import { silentLog } from '../../../../main/engine/log.js';
import { RAW_TICKET, rawConnection, startRawServer, type RawRequest } from '../raw-server.js';

const TICKET = RAW_TICKET;
const deps: ConnectionDeps = {
  tls: {},
  log: silentLog,
  sleep: async () => {},
  random: () => 0.5,
  retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 100 },
  timeouts: { ...DEFAULT_TIMEOUTS, readMs: 2000 },
};
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

const setup = (respond: (req: RawRequest) => void | Promise<void>) => rawConnection(respond, deps, closers);

const signal = () => new AbortController().signal;
const contentLength = (req: RawRequest) => Number(/content-length: (\d+)/i.exec(req.head)![1]);
/** A source over `data` that answers in uneven short reads, as a file may. */
const sourceOf = (data: Buffer): RangeSource => ({
  read: async (offset, buffer) => {
    const n = Math.min(buffer.length, 7, data.length - offset);
    data.copy(buffer, 0, offset, offset + n);
    return Math.max(n, 0);
  },
});
const DATA = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff));

describe('request bodies on the socket dispatcher', () => {
  it('streams a PUT piece by piece with its Content-Length: every byte in order, the connection kept', async () => {
    const received: Buffer[] = [];
    const { server, conn } = await setup(async (req) => {
      received.push(Buffer.from(await req.body(contentLength(req))));
      req.socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
    });
    // 16-byte buffers: each is refilled while the other is on the wire, so a piece written before the socket took it would arrive changed.
    const buffers = allocPieceBuffers(16);
    await conn.put(0, 600, { source: sourceOf(DATA), buffers, flush: false }, signal());
    await conn.put(600, 400, { source: sourceOf(DATA), buffers, flush: null }, signal());
    expect(Buffer.concat(received).equals(DATA)).toBe(true);
    expect(server.requests[0]!.head).toMatch(/^PUT \/images\/[^ ]+\?flush=n HTTP\/1\.1\r\n/);
    expect(server.requests[0]!.head).toMatch(/content-range: bytes 0-599\/\*/);
    expect(server.requests[1]!.socket).toBe(server.requests[0]!.socket);
  });

  it('sends a piece larger than a socket write whole and in order', async () => {
    const big = Buffer.from(Array.from({ length: 1_500_000 }, (_, i) => (i * 7 + (i >> 12)) & 0xff));
    let received: Buffer | null = null;
    const { conn } = await setup(async (req) => {
      received = Buffer.from(await req.body(contentLength(req)));
      req.socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
    });
    const source: RangeSource = { read: async (offset, buffer) => big.copy(buffer, 0, offset, Math.min(big.length, offset + buffer.length)) };
    await conn.put(0, big.length, { source, buffers: allocPieceBuffers(1024 * 1024), flush: null }, signal());
    expect(received!.equals(big)).toBe(true);
  });

  it('sends a PATCH with its head and JSON body in one write', async () => {
    const { server, conn } = await setup(async (req) => {
      await req.body(contentLength(req));
      req.socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
    });
    await conn.zero(4096, 8192, signal());
    const first = server.requests[0]!.firstRead.toString('latin1');
    expect(first).toMatch(/^PATCH \/images\/[^ ]+ HTTP\/1\.1\r\n/);
    expect(first.endsWith('\r\n\r\n{"op":"zero","offset":4096,"size":8192,"flush":false}')).toBe(true);
  });

  it('keeps the connection when the answer to a complete body comes before the socket reported the body written', async () => {
    const server = await startRawServer(async (req) => {
      await req.body(contentLength(req));
      req.socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
    });
    const dispatcher = new SocketDispatcher({ origin: server.origin, tls: {}, connectMs: 2000, idleMs: 30_000, proxy: null });
    closers.push(async () => dispatcher.close(), () => server.close());
    const put = (body: AsyncIterable<Uint8Array>) =>
      exchange(dispatcher, { method: 'PUT', path: `/images/${TICKET}`, headers: { 'content-length': String(DATA.length) }, body, headersTimeout: 2000, bodyTimeout: 2000, signal: signal() });
    // Every byte is on its way; the body's iterator still runs when the answer comes (as when the
    // socket's write callback comes after the server's answer on a fast link).
    async function* lingering(): AsyncGenerator<Uint8Array> {
      yield DATA;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await put(lingering())).status).toBe(200);
    expect((await put(lingering())).status).toBe(200);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.socket).toBe(server.requests[0]!.socket);
  });

  it('counts every piece of a PUT as sent when the answer comes before the socket reported the last one written', async () => {
    const { server, conn } = await setup(async (req) => {
      await req.body(contentLength(req));
      req.socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
    });
    // The client's socket reports each write 100 ms late (a loaded machine, TLS): the server has
    // every byte and answers before the last piece's write is reported.
    const port = Number(new URL(server.origin).port);
    const write = Duplex.prototype.write;
    type Write = (this: Duplex, chunk: unknown, ...rest: unknown[]) => boolean;
    Duplex.prototype.write = function (this: Duplex, chunk: unknown, ...rest: unknown[]) {
      const cb = rest.at(-1);
      if (!(this instanceof Socket) || this.remotePort !== port || typeof cb !== 'function') return (write as Write).call(this, chunk, ...rest);
      return (write as Write).call(this, chunk, ...rest.slice(0, -1), (err?: Error | null) => setTimeout(() => (cb as (e?: Error | null) => void)(err), 100));
    } as typeof write;
    let counted = 0;
    try {
      await conn.put(0, DATA.length, { source: sourceOf(DATA), buffers: allocPieceBuffers(256), flush: null, onSent: (n) => (counted += n) }, signal());
    } finally {
      Duplex.prototype.write = write;
    }
    expect(counted).toBe(DATA.length);
  });

  it('takes an answer that comes before the body is complete, and does not reuse that connection', async () => {
    let calls = 0;
    const { server, conn } = await setup(async (req) => {
      calls++;
      if (calls === 1) return void req.socket.write('HTTP/1.1 403 Forbidden\r\ncontent-length: 9\r\n\r\nforbidden');
      req.socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\nallow: GET,PUT,PATCH,OPTIONS\r\n\r\n');
    });
    // A slow source: the answer comes while the body is still being sent.
    const slow: RangeSource = { read: (offset, buffer) => new Promise<number>((r) => setTimeout(() => r(buffer.length), offset === 0 ? 0 : 200)) };
    await expect(conn.put(0, 64, { source: slow, buffers: allocPieceBuffers(16), flush: null }, signal())).rejects.toThrow(/403|forbidden|ticket/i);
    await conn.options(signal());
    expect(server.requests.at(-1)!.head).toMatch(/^OPTIONS /);
    expect(server.requests.at(-1)!.socket).not.toBe(server.requests[0]!.socket);
  });

  it('times out a server that stops taking the body after the head timeout, saying so', async () => {
    const { conn } = await setup((req) => void req.socket.pause()); // takes nothing more and never answers
    const started = Date.now();
    const err = await conn.put(0, 64 * 1024 * 1024, { source: null, buffers: allocPieceBuffers(1024 * 1024), flush: null }, signal()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'network', message: expect.stringMatching(/took no data for 2\.0 s/) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  });

  it('fails a PUT whose source ends early with the source\'s error, and closes the connection', async () => {
    const { server, conn } = await setup(async (req) => {
      req.socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
    });
    const short = sourceOf(DATA.subarray(0, 100));
    await expect(conn.put(0, 200, { source: short, buffers: allocPieceBuffers(64), flush: null }, signal())).rejects.toMatchObject({ code: 'image-changed' });
    await conn.options(signal());
    expect(server.requests.at(-1)!.socket).not.toBe(server.requests[0]!.socket);
  });
});

/** Bare packages the module graph of `entry` loads at run time (type-only imports vanish). */
async function packagesLoadedBy(entry: string): Promise<Set<string>> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = [resolve(entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?[^;]*?\bfrom\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)) {
      if (m[1]) continue;
      const spec = (m[2] ?? m[3])!;
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (!spec.startsWith('node:')) packages.add(spec.split('/')[0]!);
    }
  }
  return packages;
}

describe('the data plane without undici', () => {
  it.each(['session.ts', 'upload.ts', 'download.ts'])('imageio/%s loads no undici (only DISKFERRY_RANGED_GETS=undici does, when asked)', async (file) => {
    const packages = await packagesLoadedBy(join('main/engine/imageio', file));
    expect([...packages]).not.toContain('undici');
  });
});
