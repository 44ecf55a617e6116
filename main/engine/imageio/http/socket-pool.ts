import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import * as errors from './errors.js';
import { openTunnel } from '../../net/tunnel.js';

/** The socket's read buffer: TLS hands over at most one 16 KiB record per read, TCP more. */
export const READ_BUFFER = 64 * 1024;

/** Where the sockets of a pool connect, and their timeouts in ms. */
export interface SocketPoolOptions {
  /** `https://host:port` (or `http://` for plain-TCP test servers). */
  readonly origin: string;
  readonly tls: ConnectionOptions;
  readonly connectMs: number;
  /** Close an idle kept-alive socket after this long. */
  readonly idleMs: number;
  /** An HTTP proxy to tunnel through (CONNECT), or null/absent to connect directly. */
  readonly proxy?: URL | null;
}

/** The request reading from a socket. Returning false from committed() or data() stops reading. */
export interface SocketReader {
  /** The request's own memory where the next read may land, or null for the socket's read buffer. */
  window(): Buffer | null;
  /** `n` bytes were read into the start of the last window. */
  committed(n: number): boolean;
  /** Bytes read into the read buffer: a view, valid until the socket reads again (see hold()). */
  data(chunk: Buffer): boolean;
  /** The server ended or closed the connection. */
  closed(): void;
  /** A socket error. */
  failed(err: Error): void;
  /** No byte for the socket's timeout. */
  timedOut(): void;
}

/**
 * One keep-alive connection (TCP_NODELAY) that never allocates per read: Node's `onread` reads into
 * memory we give it, which is the reader's window (the free part of a worker's piece buffer, so TLS
 * decrypts each byte straight to where it stays) or one of two reusable read buffers.
 */
export class PooledSocket {
  reader: SocketReader | null = null;
  private buffer: Buffer = Buffer.allocUnsafe(READ_BUFFER);
  private spare: Buffer | null = null;
  private lastWindow: Buffer | null = null;

  /** Set right after the connect call (whose options need this object's read callbacks). */
  socket!: Socket;

  private constructor() {}

  /**
   * Connects to `url` (TCP, or a CONNECT tunnel through `o.proxy`, then TLS for https); rejects on
   * failure, timeout or abort. TLS checks the certificate against `host` (an IP address against its
   * IP names) and sends SNI only for a name, tunnelled or not.
   */
  static async connect(url: URL, o: SocketPoolOptions, signal: AbortSignal): Promise<PooledSocket> {
    const secure = url.protocol === 'https:';
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const port = Number(url.port) || (secure ? 443 : 80);
    // imageio is https only; plain http is for test servers, which are never behind a proxy.
    if (o.proxy && !secure) throw new errors.InvalidArgumentError('a proxy tunnel carries https only');
    const tunnel = o.proxy ? await openTunnel(o.proxy, host, port, { timeoutMs: o.connectMs, signal }) : null;
    if (tunnel && signal.aborted) {
      tunnel.destroy();
      throw signal.reason;
    }
    const pooled = new PooledSocket();
    const onread = { buffer: () => pooled.nextBuffer(), callback: (n: number, buf: Uint8Array) => pooled.onRead(buf, n) };
    return new Promise<PooledSocket>((resolve, reject) => {
      // onread works for TLS too (Node >= 14.5; @types lists it only for net), but not for TLS over a
      // socket it wraps (Node 20 never starts reading it): a tunnelled socket is read by 'data'
      // events, one more copy per byte, as undici does.
      const s = tunnel
        ? tlsConnect({ ...o.tls, host, port, ...(isIP(host) ? {} : { servername: host }), socket: tunnel })
        : secure
          ? tlsConnect({ ...o.tls, host, port, ...(isIP(host) ? {} : { servername: host }), onread } as ConnectionOptions)
          : netConnect({ host, port, noDelay: true, onread });
      if (tunnel) s.on('data', (chunk: Buffer) => pooled.onRead(chunk, chunk.length) || s.pause());
      pooled.socket = s;
      const ready = secure ? 'secureConnect' : 'connect';
      const done = (err: unknown) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        s.off(ready, onReady);
        s.off('error', done);
        if (err === undefined) return resolve(pooled.adopt());
        s.destroy();
        reject(err);
      };
      const onReady = () => done(undefined);
      const onAbort = () => done(signal.reason);
      const timer = setTimeout(() => done(new errors.ConnectTimeoutError(`connecting took longer than ${o.connectMs} ms`)), o.connectMs);
      signal.addEventListener('abort', onAbort, { once: true });
      s.once(ready, onReady);
      s.once('error', done);
    });
  }

  /** True while the connection can carry a request. */
  get usable(): boolean {
    return !this.socket.destroyed && this.socket.writable && this.socket.readable;
  }

  /**
   * Keeps the chunk last handed to data() (and its read buffer) intact until the reader resumes:
   * reads go to the other buffer meanwhile. A reader that pauses in data() calls this.
   */
  hold(): void {
    this.spare ??= Buffer.allocUnsafe(READ_BUFFER);
    [this.buffer, this.spare] = [this.spare, this.buffer];
  }

  /** Stops reading (a paused answer) or starts again. */
  reading(on: boolean): void {
    if (on) this.socket.resume();
    else this.socket.pause();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onRead(buf: Uint8Array, n: number): boolean {
    const direct = buf === this.lastWindow;
    this.lastWindow = null;
    const reader = this.reader;
    if (reader) return direct ? reader.committed(n) : reader.data(Buffer.from(buf.buffer, buf.byteOffset, n));
    this.socket.destroy(); // bytes nobody asked for: the connection is out of step
    return false;
  }

  /** Where the socket reads next (asked after every read): the reader's window, else the read buffer. */
  private nextBuffer(): Buffer {
    this.lastWindow = this.reader?.window() ?? null;
    return this.lastWindow ?? this.buffer;
  }

  /** Routes the socket's events to the reader of the moment; an idle socket that ends or times out is closed. */
  private adopt(): PooledSocket {
    const s = this.socket;
    s.setNoDelay(true);
    s.on('timeout', () => (this.reader ? this.reader.timedOut() : s.destroy()));
    s.on('error', (err) => this.reader?.failed(err));
    s.on('end', () => (this.reader ? this.reader.closed() : s.destroy()));
    s.on('close', () => this.reader?.closed());
    return this;
  }
}

/**
 * The idle keep-alive sockets of one origin: a request takes one that is still open or connects a
 * new one, and gives it back when its answer is complete and the server keeps the connection.
 * No pipelining: a socket carries one request at a time.
 */
export class SocketPool {
  private readonly url: URL;
  private readonly idle = new Set<PooledSocket>();
  private readonly busy = new Set<PooledSocket>();
  private closed = false;

  constructor(private readonly o: SocketPoolOptions) {
    this.url = new URL(o.origin);
  }

  /** The host header's value. */
  get host(): string {
    return this.url.host;
  }

  /** An idle open socket, or a new connection. */
  async acquire(signal: AbortSignal): Promise<PooledSocket> {
    for (const s of this.idle) {
      this.idle.delete(s);
      if (s.usable) return this.lend(s);
      s.destroy();
    }
    const s = await PooledSocket.connect(this.url, this.o, signal);
    if (this.closed) {
      s.destroy();
      throw new errors.ClientDestroyedError('the connection was closed');
    }
    s.socket.once('close', () => (this.idle.delete(s), this.busy.delete(s)));
    return this.lend(s);
  }

  /** Takes back a socket whose answer is complete: kept idle when `keep`, else closed. */
  release(s: PooledSocket, keep: boolean): void {
    s.reader = null;
    this.busy.delete(s);
    if (!keep || this.closed || !s.usable) return s.destroy();
    s.socket.setTimeout(this.o.idleMs);
    this.idle.add(s);
  }

  /** Closes every socket, idle or in use. */
  close(): void {
    this.closed = true;
    for (const s of [...this.idle, ...this.busy]) s.destroy();
    this.idle.clear();
    this.busy.clear();
  }

  private lend(s: PooledSocket): PooledSocket {
    s.socket.setTimeout(0);
    this.busy.add(s);
    return s;
  }
}
