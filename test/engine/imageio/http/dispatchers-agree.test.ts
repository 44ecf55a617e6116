/**
 * The two dispatchers under exchange() give the same answers for the same bytes: seeded responses
 * (Content-Length, chunked, until close; data and error statuses; repeated fields) written by a
 * raw server in random pieces, read once through the SocketDispatcher and once through undici's
 * Client, with a receiver that streams 2xx bodies and now and then makes the request wait
 * (backpressure: pause, backlog, resume). DISKFERRY_FUZZ_SEED replays another seed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, type BodyReceiver, type ExchangeResult } from '../../../../main/engine/imageio/exchange.js';
import { SocketDispatcher, type RequestDispatcher } from '../../../../main/engine/imageio/http/socket-dispatcher.js';
import { startRawServer, type RawRequest } from '../raw-server.js';
import { prng } from '../../../reliability/prng.js';

const SEED = Number(process.env['DISKFERRY_FUZZ_SEED'] ?? 1414);
const CASES = 24;


interface Case {
  readonly bytes: Buffer;
  /** Byte counts of the server's writes. */
  readonly pieces: number[];
  /** The server closes the connection after the answer (a body read until close needs it). */
  readonly close: boolean;
  readonly bodyLength: number;
}

function generate(seed: number): Case {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const status = [200, 206, 206, 403, 404, 500, 503][int(7)]!;
  const body = Buffer.alloc(int(4) === 0 ? int(100) : int(300_000));
  for (let i = 0; i < body.length; i++) body[i] = int(256);
  const framing = ['length', 'length', 'chunked', 'close'][int(4)]!;
  let head = `HTTP/1.1 ${status} Something\r\nx-seed: ${seed}\r\nx-a: 1\r\nX-A:  2 \r\n`;
  let payload = body;
  if (framing === 'length') head += `content-length: ${body.length}\r\n`;
  if (framing === 'chunked') {
    head += 'transfer-encoding: chunked\r\n';
    const parts: Buffer[] = [];
    for (let pos = 0; pos < body.length; ) {
      const n = 1 + int(Math.min(body.length - pos, 50_000));
      parts.push(Buffer.from(`${n.toString(16)}${int(3) === 0 ? ';ext=1' : ''}\r\n`), body.subarray(pos, pos + n), Buffer.from('\r\n'));
      pos += n;
    }
    parts.push(Buffer.from(`0\r\n${int(2) === 0 ? 'x-trailer: t\r\n' : ''}\r\n`));
    payload = Buffer.concat(parts);
  }
  const bytes = Buffer.concat([Buffer.from(`${head}\r\n`), payload]);
  const pieces: number[] = [];
  for (let left = bytes.length; left > 0; ) {
    const n = Math.min(left, 1 + int(int(2) === 0 ? 100 : 70_000));
    pieces.push(n);
    left -= n;
  }
  return { bytes, pieces, close: framing === 'close', bodyLength: body.length };
}

/**
 * Streams 2xx bodies (now and then making the request wait), collects the rest as exchange() does.
 * An answer read until the connection closes is streamed without waits: undici 7.30 crashes when
 * the server ends the connection while such an answer is paused (nodejs/undici#5360).
 */
function receiver(seed: number): BodyReceiver & { streamed: Buffer[] } {
  const rnd = prng(seed ^ 0x9e3779b9);
  const streamed: Buffer[] = [];
  let untilClose = false;
  return {
    streamed,
    accept: (head) => {
      untilClose = head.headers['content-length'] === undefined && head.headers['transfer-encoding'] === undefined;
      return head.status >= 200 && head.status < 300;
    },
    onData(chunk): void | Promise<void> {
      const copy = Buffer.from(chunk);
      if (untilClose || rnd() >= 0.2) return void streamed.push(copy);
      return sleep(1).then(() => {
        // The chunk must still hold its bytes after the wait (the socket dispatcher's promise).
        if (!chunk.equals(copy)) throw new Error('the chunk changed during the wait');
        streamed.push(copy);
      });
    },
  };
}

let server: Awaited<ReturnType<typeof startRawServer>>;
let current: Case;
beforeAll(async () => {
  server = await startRawServer(async (req: RawRequest) => {
    let pos = 0;
    for (const n of current.pieces) {
      if (req.socket.destroyed) return;
      req.socket.write(current.bytes.subarray(pos, pos + n));
      pos += n;
      await new Promise((r) => setImmediate(r));
    }
    if (current.close) req.socket.end();
  });
});
afterAll(async () => server.close());

/**
 * undici keeps the whitespace after a field value; RFC 9112 §5.1 says it is not part of the value,
 * and we (like node:http) drop it. Fields are compared without it.
 */
function trimmed(headers: ExchangeResult['headers']): ExchangeResult['headers'] {
  const trim = (v: string) => v.replace(/[ \t]+$/, '');
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.map(trim) : v === undefined ? v : trim(v)]));
}

async function run(dispatcher: RequestDispatcher, seed: number): Promise<ExchangeResult & { streamed: Buffer }> {
  const rx = receiver(seed);
  const res = await exchange(
    dispatcher,
    { method: 'GET', path: '/images/x', headers: { range: 'bytes=0-1' }, body: null, headersTimeout: 10_000, bodyTimeout: 10_000, signal: new AbortController().signal },
    { receiver: rx, collectLimit: 1 << 20 },
  );
  return { ...res, streamed: Buffer.concat(rx.streamed) };
}

describe('SocketDispatcher and undici under exchange()', () => {
  it(`read ${CASES} seeded answers alike (seed ${SEED})`, async () => {
    const socket = new SocketDispatcher({ origin: server.origin, tls: {}, connectMs: 5000, idleMs: 5000 });
    const client = new Client(server.origin, { pipelining: 1 });
    try {
      for (let i = 0; i < CASES; i++) {
        const seed = SEED + i;
        current = generate(seed);
        const ours = await run(socket, seed);
        const theirs = await run(client, seed);
        const what = `seed ${seed}`;
        expect(ours.status, what).toBe(theirs.status);
        expect(ours.headers, what).toEqual(trimmed(theirs.headers));
        expect(ours.body.equals(theirs.body), `${what}: collected body`).toBe(true);
        expect(ours.streamed.equals(theirs.streamed), `${what}: streamed body`).toBe(true);
        expect(ours.body.length + ours.streamed.length, `${what}: the whole body`).toBe(current.bodyLength);
      }
    } finally {
      socket.close();
      await client.destroy();
    }
  });
});
