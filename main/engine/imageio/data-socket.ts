import type { IncomingHttpHeaders } from 'node:http';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { BodyReceiver, ExchangeResult, ResponseHead } from './exchange.js';
import { PaceWindow } from '../pace.js';
import { cancelledError } from './retry.js';

/** Largest response head accepted (imageio's are a few hundred bytes). */
const MAX_HEAD = 64 * 1024;
/** The socket's read buffer: TLS hands over at most one 16 KiB record per read. */
const READ_BUFFER = 64 * 1024;

/** Where and how a data socket connects, and its timeouts in ms. */
export interface DataSocketOptions {
  /** `https://host:port` (or `http://` for plain-TCP test servers). */
  readonly origin: string;
  readonly tls: ConnectionOptions;
  readonly connectMs: number;
  /** Longest wait for the head, or between two pieces of the body. */
  readonly readMs: number;
  /** Close an idle kept-alive socket after this long. */
  readonly idleMs: number;
}

/** A failure below HTTP, with a Node-style code so transportError() classifies it as a network error. */
function socketError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** A malformed answer; the `HPE_` code (as llhttp names them) makes the connection report a protocol error. */
function malformed(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Parses a status line and headers (latin1 text without the final blank line). */
export function parseResponseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: [^\r\n]*)?$/.exec(lines[0] ?? '');
  if (!m) throw malformed('HPE_INVALID_STATUS', 'invalid status line');
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).toLowerCase() : '';
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) throw malformed('HPE_INVALID_HEADER_TOKEN', 'invalid header line');
    const value = line.slice(colon + 1).trim();
    const prior = headers[name];
    if (prior !== undefined && name === 'content-length' && prior !== value) throw malformed('HPE_UNEXPECTED_CONTENT_LENGTH', 'two different Content-Length headers');
    headers[name] = prior === undefined || name === 'content-length' ? value : `${prior}, ${value}`;
  }
  return { status: Number(m[1]), headers: headers as IncomingHttpHeaders };
}

/** Decodes a chunked body (only error answers may come chunked; data must have a Content-Length). */
class ChunkedDecoder {
  done = false;
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes left in the current chunk; -1: a size line is due; -2: the CRLF after a chunk; -3: trailers. */
  private left = -1;

  push(chunk: Buffer, out: (data: Buffer) => void): void {
    this.pending = Buffer.concat([this.pending, chunk]); // a copy: the socket reuses its read buffer
    while (!this.done && this.pending.length > 0) {
      if (this.left > 0) {
        const n = Math.min(this.left, this.pending.length);
        out(this.pending.subarray(0, n));
        this.pending = this.pending.subarray(n);
        this.left -= n;
        if (this.left === 0) this.left = -2;
        continue;
      }
      const eol = this.pending.indexOf('\r\n');
      if (eol < 0) {
        if (this.pending.length > 8192) throw malformed('HPE_INVALID_CHUNK_SIZE', 'chunk line too long');
        return;
      }
      const line = this.pending.toString('latin1', 0, eol);
      this.pending = this.pending.subarray(eol + 2);
      if (this.left === -2) {
        if (line !== '') throw malformed('HPE_STRICT', 'no CRLF after a chunk');
        this.left = -1;
      } else if (this.left === -3) {
        if (line === '') this.done = true;
      } else {
        const size = /^([0-9a-fA-F]{1,12})(?:;.*)?$/.exec(line);
        if (!size) throw malformed('HPE_INVALID_CHUNK_SIZE', 'invalid chunk size');
        const n = parseInt(size[1]!, 16);
        this.left = n === 0 ? -3 : n;
      }
    }
  }
}

/** Receives one answer on the socket: head, then a body streamed to the receiver or collected. */
interface Reader {
  /** `chunk` is only valid during the call; returns false to stop the socket reading. */
  data(chunk: Buffer): boolean;
  /** Where the socket may read the next body bytes directly (the receiver's memory), or null. */
  window(): Buffer | null;
  /** `n` bytes were read into the start of the last window; returns false to stop the socket reading. */
  committed(n: number): boolean;
  ended(): void;
  fail(err: unknown): void;
}

/**
 * One keep-alive HTTP/1.1 connection for ranged GETs, on a plain TLS socket (TCP_NODELAY) with a
 * minimal response parser. The socket never allocates per read (`onread`): while a body streams, TLS
 * decrypts straight into the free part of the worker's piece buffer (the receiver's window), so each
 * byte is copied once; the head, error bodies and the odd record after a pause go through one reusable
 * read buffer. undici's WASM parser copied every chunk again and a Buffer per 16 KiB record kept the
 * GC threads busy: together about twice curl's CPU. The receiver may answer with a promise: the
 * socket stops reading until it settles. No pipelining; a socket left mid-answer (error, abort,
 * extra bytes) is destroyed.
 */
export class DataSocket {
  private socket: Socket | null = null;
  private reader: Reader | null = null;
  private readonly url: URL;
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER);
  /** The receiver's memory the socket was last told to read into, if any. */
  private lastWindow: Buffer | null = null;

  constructor(private readonly o: DataSocketOptions) {
    this.url = new URL(o.origin);
  }

  /** Sends `GET path` and resolves with the answer; a body the receiver accepts is streamed, others are collected (up to `collectLimit`). */
  async get(path: string, headers: Record<string, string>, receiver: BodyReceiver, signal: AbortSignal, collectLimit = 1024 * 1024): Promise<ExchangeResult> {
    if (signal.aborted) throw cancelledError();
    const live = this.socket && !this.socket.destroyed && this.socket.writable ? this.socket : null;
    const socket = live ?? (await this.connect(signal));
    let text = `GET ${path} HTTP/1.1\r\nhost: ${this.url.host}\r\n`;
    for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
    return new Promise<ExchangeResult>((resolve, reject) => {
      const reader = this.read(socket, receiver, collectLimit, signal, resolve, reject);
      this.reader = reader;
      socket.setTimeout(this.o.readMs);
      socket.resume();
      socket.write(`${text}\r\n`, 'latin1');
    });
  }

  /** Closes the socket. */
  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private read(
    socket: Socket,
    receiver: BodyReceiver,
    collectLimit: number,
    signal: AbortSignal,
    resolve: (r: ExchangeResult) => void,
    reject: (err: unknown) => void,
  ): Reader {
    let pending: Buffer | null = null;
    let head: ResponseHead | null = null;
    let streaming = false;
    /** Body bytes still due (length framing); -1 for chunked or read-until-close. */
    let remaining = -1;
    let chunked: ChunkedDecoder | null = null;
    const chunks: Buffer[] = [];
    let collected = 0;
    let waiting: Promise<void> | null = null;
    /** Chunks that arrived while the receiver was busy (TLS may hand over a few more records after a pause). */
    const backlog: Buffer[] = [];
    let complete = false;
    let settled = false;
    /** The pace check (our own waits and the server's first answer restart it). */
    const pace = new PaceWindow(this.o.readMs);

    const cleanup = () => {
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (this.reader === reader) this.reader = null;
    };
    const fail = (err: unknown) => {
      if (settled) return;
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onAbort = () => fail(cancelledError());
    /** Counts `n` bytes; false (and the request failed) when a whole read timeout passed with too few. */
    const paced = (n: number): boolean => {
      const slow = pace.count(n);
      if (slow) fail(socketError('ETIMEDOUT', `the server sent only ${slow.bytes} bytes in ${(slow.elapsedMs / 1000).toFixed(1)} s`));
      return !slow;
    };
    signal.addEventListener('abort', onAbort, { once: true });

    const finish = () => {
      if (settled || !head) return;
      cleanup();
      const close = remaining === -1 && !chunked ? true : /\bclose\b/i.test(String(head.headers.connection ?? ''));
      if (close) socket.destroy();
      else socket.setTimeout(this.o.idleMs);
      resolve({ ...head, body: streaming ? Buffer.alloc(0) : Buffer.concat(chunks, collected) });
    };
    const ended = () => {
      complete = true;
      if (!waiting) finish();
    };
    const collect = (data: Buffer) => {
      const part = data.subarray(0, collectLimit - collected);
      chunks.push(Buffer.from(part)); // the socket's chunk is not ours to keep
      collected += part.length;
      if (part.length < data.length) {
        // Past the limit the answer is cut, not drained: an endless error body would stall the request forever.
        finish();
        socket.destroy();
      }
    };
    const deliver = (data: Buffer) => {
      if (!streaming) return collect(data);
      wait(receiver.onData(data));
    };
    const wait = (result: void | Promise<void>) => {
      if (!result) return;
      socket.setTimeout(0); // our own disk is slow, not the server
      waiting = result.then(
        () => {
          waiting = null;
          pace.restart(); // the time our disk took is not the server's
          while (!settled && !waiting && backlog.length > 0) take(backlog.shift()!);
          if (settled || waiting) return;
          if (complete) return finish();
          socket.setTimeout(this.o.readMs);
          socket.resume();
        },
        (err: unknown) => fail(err),
      );
    };
    const body = (chunk: Buffer) => {
      if (chunked) {
        chunked.push(chunk, deliver);
        if (chunked.done) ended();
        return;
      }
      if (remaining === -1) return deliver(chunk);
      if (chunk.length > remaining) throw malformed('HPE_INVALID_CONSTANT', 'the server sent bytes past the end of its answer');
      remaining -= chunk.length;
      deliver(chunk);
      if (remaining === 0) ended();
    };
    const onHead = (text: string, rest: Buffer) => {
      const h = parseResponseHead(text);
      if (h.status < 200) {
        if (h.status === 101) throw malformed('HPE_INVALID_STATUS', 'unexpected protocol switch');
        if (rest.length > 0) take(rest);
        return;
      }
      head = h;
      pace.restart(); // the pace counts from the answer on, not from a server slow to start it
      streaming = receiver.accept(h);
      const te = h.headers['transfer-encoding'];
      const cl = h.headers['content-length'];
      if (te !== undefined) {
        if (cl !== undefined || streaming || !/^chunked$/i.test(String(te).trim())) throw malformed('HPE_UNEXPECTED_CONTENT_LENGTH', 'unsupported body framing');
        chunked = new ChunkedDecoder();
      } else if (cl !== undefined) {
        if (!/^\d{1,15}$/.test(String(cl))) throw malformed('HPE_INVALID_CONTENT_LENGTH', 'invalid Content-Length');
        remaining = Number(cl);
      } else if (h.status === 204 || h.status === 304) remaining = 0;
      else if (streaming) throw malformed('HPE_INVALID_CONTENT_LENGTH', 'no Content-Length');
      if (remaining === 0) ended();
      else if (rest.length > 0) body(rest);
    };

    const take = (chunk: Buffer) => {
      try {
        if (head) {
          if (complete) throw malformed('HPE_INVALID_CONSTANT', 'the server sent bytes past the end of its answer');
          return body(chunk);
        }
        pending = pending ? Buffer.concat([pending, chunk]) : Buffer.from(chunk); // a copy: the read buffer is reused
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) {
          if (pending.length > MAX_HEAD) throw malformed('HPE_HEADER_OVERFLOW', 'response head too large');
          return;
        }
        const text = pending.toString('latin1', 0, end);
        const rest = pending.subarray(end + 4);
        pending = null;
        onHead(text, rest);
      } catch (err) {
        fail(err);
      }
    };

    const reader: Reader = {
      data: (chunk) => {
        if (settled || !paced(chunk.length)) return false;
        if (waiting) backlog.push(Buffer.from(chunk));
        else take(chunk);
        return !waiting; // false only to wait for the receiver; a finished answer leaves the socket reading
      },
      // Only between chunks of a length-framed body being streamed, with nothing queued before it.
      window: () =>
        !settled && head && streaming && !complete && !waiting && backlog.length === 0 && remaining > 0 && receiver.window && receiver.commit
          ? receiver.window(Math.min(remaining, READ_BUFFER))
          : null,
      committed: (n) => {
        if (settled || !paced(n)) return false;
        try {
          remaining -= n;
          wait(receiver.commit!(n));
          if (remaining === 0) ended();
        } catch (err) {
          fail(err);
        }
        return !waiting;
      },
      ended: () => {
        if (settled) return;
        if (head && remaining === -1 && !chunked) return ended(); // read-until-close body
        if (!complete) fail(socketError('ECONNRESET', 'the server closed the connection before its answer was complete'));
      },
      fail,
    };
    return reader;
  }

  private connect(signal: AbortSignal): Promise<Socket> {
    const secure = this.url.protocol === 'https:';
    const hostname = this.url.hostname;
    const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    const port = Number(this.url.port) || (secure ? 443 : 80);
    // Reads land in one reusable buffer; the callback returns false to stop reading (resume() restarts).
    const onread = { buffer: () => this.nextBuffer(s), callback: (n: number, buf: Uint8Array) => this.onRead(s, buf, n) };
    let s: Socket;
    return new Promise<Socket>((resolve, reject) => {
      s = secure
        ? tlsConnect({ ...this.o.tls, host, port, ...(isIP(host) ? {} : { servername: host }), onread } as ConnectionOptions) // onread works for TLS too (Node >= 14.5); @types lists it only for net
        : netConnect({ host, port, noDelay: true, onread });
      const ready = secure ? 'secureConnect' : 'connect';
      const done = (err: unknown) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        s.off(ready, onReady);
        s.off('error', done);
        if (err === undefined) return resolve(this.adopt(s));
        s.destroy();
        reject(err);
      };
      const onReady = () => done(undefined);
      const onAbort = () => done(cancelledError());
      const timer = setTimeout(() => done(socketError('ETIMEDOUT', `connecting took longer than ${this.o.connectMs} ms`)), this.o.connectMs);
      signal.addEventListener('abort', onAbort, { once: true });
      s.once(ready, onReady);
      s.once('error', done);
    });
  }

  private onRead(s: Socket, buf: Uint8Array, n: number): boolean {
    const direct = buf === this.lastWindow;
    this.lastWindow = null;
    if (this.socket === s && this.reader) return direct ? this.reader.committed(n) : this.reader.data(Buffer.from(buf.buffer, buf.byteOffset, n));
    s.destroy(); // unsolicited bytes: the connection is out of step
    return false;
  }

  /**
   * Where the socket reads next (asked after every read): straight into the receiver's piece buffer
   * while a body streams there, so decrypted bytes are copied once; else the reusable read buffer.
   */
  private nextBuffer(s: Socket | undefined): Buffer {
    // Called once before connect returns (`s` not assigned yet): no answer is being read then.
    this.lastWindow = s && this.socket === s ? (this.reader?.window() ?? null) : null;
    return this.lastWindow ?? this.readBuffer;
  }

  /** Routes the socket's events to the answer being read; an idle socket that talks or times out is closed. */
  private adopt(s: Socket): Socket {
    this.socket?.destroy();
    this.socket = s;
    s.setNoDelay(true);
    s.on('timeout', () => {
      if (this.socket === s && this.reader) this.reader.fail(socketError('ETIMEDOUT', `no data from the server for ${this.o.readMs / 1000} s`));
      else s.destroy();
    });
    s.on('error', (err) => {
      if (this.socket === s) this.reader?.fail(err);
    });
    s.on('end', () => {
      if (this.socket === s) this.reader?.ended();
    });
    s.on('close', () => {
      if (this.socket !== s) return;
      this.reader?.ended();
      this.socket = null;
    });
    return s;
  }
}
