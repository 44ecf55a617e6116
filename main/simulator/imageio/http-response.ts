import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpConnection } from './http-connection.js';
import { REASONS, type HttpError } from './http-errors.js';
import { pyJsonBody } from './python-format.js';

/** The version every simulated server reports (`server:` header and /info/). */
export const IMAGEIO_VERSION = '2.5.3';

let dateSecond = -1;
let dateText = '';

/** RFC 1123 date, cached per second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

/** Small bodies go out in the same write as the head (one TLS record, no Nagle stall). */
const SMALL_BODY = 4096;

/**
 * http.py::Response: `server` and `date` first, then the handler's lower-case headers in insertion
 * order starting with `content-length` (default 0). Never chunked: every body has a length.
 */
export class Response {
  status = 200;
  readonly headers = new Map<string, string | number>([['content-length', 0]]);
  started = false;
  private readonly conn: HttpConnection;
  private readonly latencyMs: () => number;

  constructor(conn: HttpConnection, latencyMs: () => number) {
    this.conn = conn;
    this.latencyMs = latencyMs;
  }

  /** Adds `connection: close` and closes the connection after this response. */
  closeConnection(): void {
    this.headers.set('connection', 'close');
    this.conn.closeAfterResponse = true;
  }

  private async head(): Promise<Buffer> {
    // A slow server is busy, not idle: the delay must not trip the connection's idle timeout.
    const latency = this.latencyMs();
    if (latency > 0) await this.conn.withoutIdleTimeout(() => sleep(latency));
    this.started = true;
    let text = `HTTP/1.1 ${this.status} ${REASONS[this.status] ?? ''}\r\nserver: imageio/${IMAGEIO_VERSION}\r\ndate: ${httpDate()}\r\n`;
    for (const [name, value] of this.headers) text += `${name}: ${value}\r\n`;
    // Header values such as a UTF-8 filename go out as UTF-8 bytes, like imageio's encode("utf-8").
    return Buffer.from(`${text}\r\n`, 'utf8');
  }

  /** Sends the whole response with a small or empty body. */
  async send(body: Buffer = Buffer.alloc(0)): Promise<void> {
    this.headers.set('content-length', body.length);
    const head = await this.head();
    if (body.length < SMALL_BODY) await this.conn.write(Buffer.concat([head, body]));
    else {
      void this.conn.write(head).catch(() => {});
      await this.conn.write(body);
    }
  }

  /** Sends a JSON body (Python separators, trailing newline). */
  async sendJson(value: unknown): Promise<void> {
    this.status = 200;
    this.headers.set('content-type', 'application/json');
    await this.send(pyJsonBody(value));
  }

  /** Sends an error as `text/plain; charset=UTF-8` with `<message>\n`. */
  async sendError(error: HttpError): Promise<void> {
    this.status = error.status;
    this.headers.set('content-type', 'text/plain; charset=UTF-8');
    if (error.contentRange !== undefined) this.headers.set('content-range', error.contentRange);
    await this.send(Buffer.from(`${error.message}\n`, 'utf8'));
  }

  /**
   * Streams a piece of a body whose content-length was set beforehand. The head goes out with the first
   * piece, so an error before any data can still become a proper error response.
   */
  async write(piece: Uint8Array): Promise<void> {
    if (!this.started) {
      const head = await this.head();
      if (piece.length < SMALL_BODY) {
        await this.conn.write(Buffer.concat([head, piece]));
        return;
      }
      void this.conn.write(head).catch(() => {});
    }
    await this.conn.write(piece);
  }
}
