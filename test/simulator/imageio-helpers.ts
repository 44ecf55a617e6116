import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect } from 'node:tls';
import { noFaults, type FaultSettings } from '../../main/simulator/faults.js';
import { ImageStore } from '../../main/simulator/image-store.js';
import { createPki, type SimPki } from '../../main/simulator/pki.js';
import { startImageioServer, type ImageioServer, type ImageioServerOptions } from '../../main/simulator/imageio/server.js';
import type { TicketSpec } from '../../main/simulator/imageio/tickets.js';

/** A daemon (and optionally a proxy) over one image store, for tests. */
export interface ImageioRig {
  readonly pki: SimPki;
  readonly images: ImageStore;
  readonly faults: FaultSettings;
  readonly daemon: ImageioServer;
  readonly proxy: ImageioServer | null;
  /** A manually driven monotonic clock (seconds) shared by both servers' tickets. */
  readonly clock: { now: number };
  close(): Promise<void>;
}

let pkiPromise: Promise<SimPki> | null = null;

/** Starts the servers; `daemon`/`proxy` override options of each. */
export async function startRig(
  options: { proxy?: boolean; daemon?: Partial<ImageioServerOptions>; proxyOptions?: Partial<ImageioServerOptions> } = {},
): Promise<ImageioRig> {
  pkiPromise ??= createPki();
  const pki = await pkiPromise;
  const dir = await mkdtemp(join(tmpdir(), 'imageio-sim-test-'));
  const images = new ImageStore(dir);
  const faults = noFaults();
  const clock = { now: 1000 };
  const base = { tls: pki.server, images, faults, clock: () => clock.now };
  const daemon = await startImageioServer({ role: 'daemon', ...base, ...options.daemon });
  const proxy = options.proxy ? await startImageioServer({ role: 'proxy', ...base, upstream: daemon, ...options.proxyOptions }) : null;
  return {
    pki,
    images,
    faults,
    daemon,
    proxy,
    clock,
    async close() {
      await proxy?.close();
      await daemon.close();
      await images.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A ticket spec with test defaults (read-write, 300 s). */
export function ticket(uuid: string, url: string, size: number, extra: Partial<TicketSpec> = {}): TicketSpec {
  return { uuid, size, url, ops: ['read', 'write'], timeout: 300, ...extra };
}

/** One parsed HTTP response as it came off the wire. */
export interface RawResponse {
  readonly status: number;
  /** Header lines exactly as sent. */
  readonly rawHeaders: string[];
  /** Header values by lower-case name. */
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** A raw HTTPS connection: write any bytes, read responses exactly, see when the server closes. */
export class RawClient {
  readonly socket: Socket;
  private chunks: Buffer[] = [];
  private total = 0;
  private ended = false;
  private waiter: (() => void) | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.total += c.length;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  /** Connects to 127.0.0.1:port over TLS trusting `ca`, or over plain TCP when ca is null (control API). */
  static connect(port: number, ca: string | null): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket: Socket =
        ca === null
          ? tcpConnect({ host: '127.0.0.1', port }, () => resolve(new RawClient(socket)))
          : connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private wait(ms: number): Promise<boolean> {
    if (this.ended) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  /** Writes bytes, ignoring errors from a server that already closed. */
  send(data: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data, () => {});
  }

  /** Sends a request with the given lines and optional body (Content-Length added when body is given). */
  request(method: string, path: string, headers: Record<string, string | number> = {}, body?: string | Buffer): void {
    const all: Record<string, string | number> = { host: 'localhost', ...headers };
    if (body !== undefined && !('content-length' in all) && !('transfer-encoding' in all)) all['content-length'] = Buffer.byteLength(body);
    const head = `${method} ${path} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
    this.send(body === undefined ? head : Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body)]));
  }

  /** All received bytes as one buffer (merged lazily: bodies arrive in many small chunks). */
  private get data(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }

  private consume(n: number): void {
    this.chunks = [this.data.subarray(n)];
    this.total -= n;
  }

  /** Reads the next response (skipping 100 Continue); the body is truncated if the server closes early. */
  async response(timeoutMs = 5000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    let needed = 0;
    for (;;) {
      if (this.total >= needed || this.ended) {
        const data = this.data;
        const end = data.indexOf('\r\n\r\n');
        if (end >= 0) {
          const lines = data.subarray(0, end).toString('latin1').split('\r\n');
          const status = Number(lines[0]!.split(' ')[1]);
          const rawHeaders = lines.slice(1);
          if (status === 100) {
            this.consume(end + 4);
            continue;
          }
          const headers: Record<string, string> = {};
          for (const l of rawHeaders) {
            const i = l.indexOf(':');
            headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
          }
          const length = Number(headers['content-length'] ?? 0);
          needed = end + 4 + length;
          if (data.length >= needed || this.ended) {
            const body = Buffer.from(data.subarray(end + 4, needed));
            this.consume(end + 4 + body.length);
            return { status, rawHeaders, headers, body };
          }
        } else if (this.ended) throw new Error(`connection closed before a response (${data.length} bytes pending)`);
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for a response');
      await this.wait(deadline - Date.now());
    }
  }

  /** True once the server closed within `ms`. */
  async closedWithin(ms = 1000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.ended && Date.now() < deadline) await this.wait(deadline - Date.now());
    return this.ended;
  }

  /** Closes the client side. */
  destroy(): void {
    this.socket.destroy();
  }
}

/** Opens a raw client, sends one request, returns the response and whether a `connection: close` was honoured. */
export async function once(
  server: ImageioServer,
  ca: string,
  method: string,
  path: string,
  headers: Record<string, string | number> = {},
  body?: string | Buffer,
): Promise<RawResponse & { closed: boolean }> {
  const client = await RawClient.connect(server.port, ca);
  try {
    client.request(method, path, headers, body);
    const res = await client.response();
    // Only a `connection: close` answer is waited on; keep-alive is checked with a second request instead.
    return { ...res, closed: res.headers['connection'] === 'close' && (await client.closedWithin(2000)) };
  } finally {
    client.destroy();
  }
}

/** The body as text. */
export function text(res: RawResponse): string {
  return res.body.toString('utf8');
}

/** Sends a second request on the same connection: true when the server still answers it. */
export async function stillServes(client: RawClient): Promise<boolean> {
  client.request('OPTIONS', '/images/*');
  try {
    return (await client.response(1000)).status === 200;
  } catch {
    return false;
  }
}

/** Polls a condition (the server runs in this process, so a few event-loop turns usually suffice). */
export async function waitFor(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 2));
  }
}
