import { afterEach, describe, expect, it } from 'vitest';
import { ImageioConnection, DEFAULT_TIMEOUTS, type ConnectionDeps } from '../../../main/engine/imageio/connection.js';
import { allocPieceBuffers } from '../../../main/engine/imageio/put-body.js';
import { silentLog } from '../../../main/engine/log.js';
import { startRawServer, type RawRequest } from './raw-server.js';

const TICKET = 'c0ffee00-1111-4222-8333-944455556666';
const delays: number[] = [];
const deps: ConnectionDeps = {
  tls: {},
  log: silentLog,
  sleep: async (ms) => void delays.push(ms),
  random: () => 0.5,
  retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
  timeouts: DEFAULT_TIMEOUTS,
};
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  delays.length = 0;
});

async function setup(respond: (req: RawRequest) => void | Promise<void>) {
  const server = await startRawServer(respond);
  const conn = new ImageioConnection({ origin: server.origin, path: `/images/${TICKET}`, display: 'raw (direct)', viaProxy: false, secrets: [TICKET], authorization: null }, deps);
  closers.push(() => conn.close(), () => server.close());
  return { server, conn };
}

const ok = (socket: RawRequest['socket'], extra = '') => socket.write(`HTTP/1.1 200 OK\r\ncontent-length: 0\r\n${extra}\r\n`);
const signal = () => new AbortController().signal;

describe('ImageioConnection on the wire', () => {
  it('sends a PATCH zero as one write: headers and JSON body arrive in the same read', async () => {
    const { server, conn } = await setup(async (req) => {
      const len = Number(/content-length: (\d+)/i.exec(req.head)![1]);
      await req.body(len);
      ok(req.socket);
    });
    await conn.zero(4096, 1 << 20, signal());
    const first = server.requests[0]!.firstRead.toString('latin1');
    expect(first).toMatch(/^PATCH \/images\/c0ffee00-1111-4222-8333-944455556666 HTTP\/1.1\r\n/);
    expect(first.endsWith('\r\n\r\n{"op":"zero","offset":4096,"size":1048576,"flush":false}')).toBe(true);
  });

  it('sends a PUT with Content-Length, Content-Range and flush=n, never chunked', async () => {
    let received: Buffer = Buffer.alloc(0);
    const { server, conn } = await setup(async (req) => {
      received = await req.body(Number(/content-length: (\d+)/i.exec(req.head)![1]));
      ok(req.socket);
    });
    const source = { read: async (offset: number, b: Buffer) => (b.fill(offset % 251), b.length) };
    await conn.put(1000, 10_000, { source, buffers: allocPieceBuffers(4096), flush: false }, signal());
    const head = server.requests[0]!.head;
    expect(head).toMatch(/^PUT \/images\/[^ ]+\?flush=n HTTP\/1.1/);
    expect(head).toMatch(/content-length: 10000/i);
    expect(head).toMatch(/content-range: bytes 1000-10999\/\*/i);
    expect(head).not.toMatch(/transfer-encoding/i);
    // Pieces of 4096 bytes, each filled from its own source offset.
    expect(received.length).toBe(10_000);
    expect(received[0]).toBe(1000 % 251);
    expect(received[4096]).toBe((1000 + 4096) % 251);
    expect(received[8192]).toBe((1000 + 8192) % 251);
  });

  it('refuses a 200 answer to a ranged GET as a protocol error, without retrying', async () => {
    const { server, conn } = await setup((req) => {
      req.socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n0123456789');
    });
    const sink = async () => {};
    await expect(conn.get(0, 10, allocPieceBuffers(16), sink, signal())).rejects.toMatchObject({ code: 'protocol' });
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a 206 whose Content-Length differs from the requested length', async () => {
    const { conn } = await setup((req) => {
      req.socket.write('HTTP/1.1 206 Partial Content\r\ncontent-range: bytes 0-4/100\r\ncontent-length: 5\r\n\r\n01234');
    });
    await expect(conn.get(0, 10, allocPieceBuffers(16), async () => {}, signal())).rejects.toMatchObject({ code: 'protocol' });
  });

  it('resumes a GET after the connection dropped mid-body, asking only for the missing bytes', async () => {
    const data = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    let calls = 0;
    const { server, conn } = await setup((req) => {
      const [, a, b] = /range: bytes=(\d+)-(\d+)/i.exec(req.head)!.map(Number) as [number, number, number];
      const head = `HTTP/1.1 206 Partial Content\r\ncontent-range: bytes ${a}-${b}/100\r\ncontent-length: ${b - a + 1}\r\n\r\n`;
      if (calls++ === 0) {
        req.socket.write(head);
        req.socket.write(data.subarray(a, a + 40));
        setTimeout(() => req.socket.destroy(), 20);
      } else req.socket.write(Buffer.concat([Buffer.from(head), data.subarray(a, b + 1)]));
    });
    const out = Buffer.alloc(100);
    // 16-byte buffers: the first attempt delivers 32 bytes (two full buffers) before the drop.
    await conn.get(0, 100, allocPieceBuffers(16), async (offset, chunk) => void chunk.copy(out, offset), signal());
    expect(out.equals(data)).toBe(true);
    expect(server.requests.map((r) => /range: (bytes=\d+-\d+)/i.exec(r.head)![1])).toEqual(['bytes=0-99', 'bytes=32-99']);
    expect(conn.retries).toBe(1);
    expect(delays).toEqual([0]); // a dropped connection is retried at once
  });

  it('reconnects when a kept-alive connection was closed by the server, and repeats the request', async () => {
    let n = 0;
    const { server, conn } = await setup((req) => {
      // The second request finds the socket "stale": the server closes it without answering.
      if (n++ === 1) return void req.socket.destroy();
      ok(req.socket);
    });
    await conn.zero(0, 1, signal());
    await conn.zero(1, 1, signal());
    expect(server.requests).toHaveLength(3);
    expect(conn.retries).toBe(1);
  });

  it('throws a PUT 500 to the caller instead of retrying it (the caller resends since the last flush)', async () => {
    const { server, conn } = await setup(async (req) => {
      await req.body(Number(/content-length: (\d+)/i.exec(req.head)![1]));
      const text = 'Server failed to perform the request, check logs\n';
      req.socket.write(`HTTP/1.1 500 Internal Server Error\r\ncontent-length: ${text.length}\r\n\r\n${text}`);
    });
    const source = { read: async (_o: number, b: Buffer) => (b.fill(7), b.length) };
    const err = await conn.put(0, 100, { source, buffers: allocPieceBuffers(64), flush: false }, signal()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'server-error', retryable: true, status: 500 });
    expect((err as Error).message).toContain('Server failed to perform the request');
    expect(server.requests).toHaveLength(1);
  });

  it('stops a request promptly when its signal aborts', async () => {
    const { conn } = await setup(() => {}); // never answers
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 50);
    await expect(conn.get(0, 10, allocPieceBuffers(16), async () => {}, ac.signal)).rejects.toMatchObject({ code: 'cancelled' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('puts the server text into errors without the ticket id', async () => {
    const { conn } = await setup((req) => {
      const text = `You are not allowed to access this resource: No such ticket ${TICKET}\n`;
      req.socket.write(`HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: ${text.length}\r\n\r\n${text}`);
      req.socket.end();
    });
    const err = (await conn.zero(0, 1, signal()).catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('ticket-gone');
    expect(err.message).toContain('No such ticket');
    expect(err.message).not.toContain(TICKET);
  });

  it('stops an upload with image-changed when the source ends early, without retrying', async () => {
    const { conn } = await setup(() => {}); // the body never completes, so no answer is due
    const reads: number[] = [];
    const source = { read: async (offset: number, b: Buffer) => (reads.push(offset), offset >= 8192 ? 0 : (b.fill(1), b.length)) };
    const err = await conn.put(0, 20_000, { source, buffers: allocPieceBuffers(4096), flush: false }, signal()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'image-changed', retryable: false });
    expect(reads).toEqual([0, 4096, 8192]); // one attempt
  });

  it('stops a download with disk-full when the sink has no space, without retrying', async () => {
    const { server, conn } = await setup((req) => {
      req.socket.write(`HTTP/1.1 206 Partial Content\r\ncontent-range: bytes 0-99/100\r\ncontent-length: 100\r\n\r\n${'x'.repeat(100)}`);
    });
    const sink = async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    await expect(conn.get(0, 100, allocPieceBuffers(16), sink, signal())).rejects.toMatchObject({ code: 'disk-full' });
    expect(server.requests).toHaveLength(1);
  });
});
