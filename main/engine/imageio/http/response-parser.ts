import type { IncomingHttpHeaders } from 'node:http';
import { ChunkedDecoder } from './chunked-decoder.js';
import { LineReader } from './line-reader.js';
import { listTokens, malformed, parseResponseHead, type ParsedHead } from './response-head.js';

/** Largest response head accepted (imageio's are a few hundred bytes). */
export const MAX_HEAD = 64 * 1024;

/** llhttp's limit of a Content-Length (an unsigned 64-bit length). */
const MAX_U64 = 2n ** 64n - 1n;

/** Where a parsed response goes. Returning false from onHead or onBody stops execute() there (pause). */
export interface ResponseSink {
  /** An interim (1xx) or the final head. */
  onHead(head: ParsedHead): boolean;
  /** A piece of the body: a view of the buffer given to execute(), valid during the call. */
  onBody(chunk: Buffer): boolean;
}

const enum Body {
  /** Reading the head (or the heads of 1xx answers before it). */
  Head,
  Length,
  Chunked,
  /** Read until the server closes the connection. */
  UntilClose,
  Complete,
}

/**
 * Reads one HTTP/1.1 response from socket reads: heads of interim answers, the final head, and the
 * body as its framing says (RFC 9112 §6.3): none for 1xx, 204, 304 and HEAD; chunked when chunked is
 * the final (and only) transfer coding; Content-Length; else until the connection closes. Body
 * bytes are handed on as views of the caller's buffers, never copied.
 *
 * Stricter than RFC 9112 and llhttp, deliberately: a transfer coding other than chunked is refused
 * (we send no TE, so we could not decode it; llhttp reads such a body until close) and so is a
 * Content-Length above 2^53 - 1 (llhttp takes up to 2^64 - 1; no image is that large).
 */
export class ResponseParser {
  /** The final head, once read. */
  head: ParsedHead | null = null;
  /** Whether the connection may carry another request once this answer is complete. */
  keepAlive = false;
  private state = Body.Head;
  private remaining = 0;
  private chunked: ChunkedDecoder | null = null;
  private readonly lines = new LineReader(MAX_HEAD, 'HPE_HEADER_OVERFLOW');
  private headLines: string[] = [];

  constructor(
    private readonly sink: ResponseSink,
    /** The request was HEAD: no answer to it has a body. */
    private readonly headRequest = false,
  ) {}

  /** True once the whole answer was read. */
  get complete(): boolean {
    return this.state === Body.Complete;
  }

  /** Body bytes still due of a Content-Length body being read, else 0. */
  get bodyLeft(): number {
    return this.state === Body.Length ? this.remaining : 0;
  }

  /** The trailer fields of a chunked body (empty otherwise). */
  get trailers(): IncomingHttpHeaders {
    return this.chunked?.trailers ?? {};
  }

  /**
   * Parses `buf` from `pos`; returns where it stopped: at the end of `buf`, where the answer ended
   * (any bytes after it are not part of it), or where the sink asked to pause. Throws on a malformed
   * answer. Call it again (also with an empty buffer) to go on after a pause.
   */
  execute(buf: Buffer, pos = 0): number {
    for (;;) {
      switch (this.state) {
        case Body.Head: {
          if (pos >= buf.length) return pos;
          const line = this.lines.read(buf, pos);
          if (line === null) return buf.length;
          pos = this.lines.end;
          if (line !== '') this.headLines.push(line);
          // Empty lines before a status line are skipped, as llhttp does.
          else if (this.headLines.length > 0 && !this.onHeadEnd()) return pos;
          break;
        }
        case Body.Length: {
          if (this.remaining === 0) {
            this.state = Body.Complete;
            break;
          }
          if (pos >= buf.length) return pos;
          const n = Math.min(this.remaining, buf.length - pos);
          this.remaining -= n;
          // A whole read of body is handed on as it is: no view object per read.
          const piece = n === buf.length ? buf : buf.subarray(pos, pos + n);
          pos += n;
          if (!this.sink.onBody(piece)) return pos;
          break;
        }
        case Body.Chunked: {
          const chunked = this.chunked!;
          pos = chunked.execute(buf, pos, (data) => this.sink.onBody(data));
          if (chunked.done) this.state = Body.Complete;
          else return pos;
          break;
        }
        case Body.UntilClose: {
          if (pos >= buf.length) return pos;
          const rest = pos === 0 ? buf : buf.subarray(pos);
          pos = buf.length;
          if (!this.sink.onBody(rest)) return pos;
          break;
        }
        case Body.Complete:
          return pos;
      }
    }
  }

  /** Accounts for `n` body bytes the caller read straight into the receiver's memory (at most bodyLeft). */
  skip(n: number): void {
    if (this.state !== Body.Length || n > this.remaining) throw new RangeError('more body bytes than the answer has');
    this.remaining -= n;
  }

  /** The connection ended: completes an answer read until close; anything else was cut short. */
  finish(): void {
    if (this.state === Body.UntilClose) this.state = Body.Complete;
    else if (this.state !== Body.Complete) throw malformed('HPE_INVALID_EOF_STATE', 'the answer ended early');
  }

  /** True when nothing of an answer has arrived yet. */
  get untouched(): boolean {
    return this.state === Body.Head && this.headLines.length === 0;
  }

  /** After the empty line: parses the head and picks the body framing. False when the sink paused. */
  private onHeadEnd(): boolean {
    const head = parseResponseHead(this.headLines.join('\r\n'));
    this.headLines = [];
    this.lines.reset();
    const { status, headers } = head;
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    // Content-Length is checked on every head, also where it frames nothing (as llhttp does).
    if (Array.isArray(cl)) throw malformed('HPE_UNEXPECTED_CONTENT_LENGTH', 'more than one Content-Length');
    if (cl !== undefined && (!/^\d+$/.test(cl) || BigInt(cl) > MAX_U64)) throw malformed('HPE_INVALID_CONTENT_LENGTH', 'an invalid Content-Length');
    if (cl !== undefined && te !== undefined) throw malformed('HPE_INVALID_CONTENT_LENGTH', 'both Content-Length and Transfer-Encoding');
    if (status === 101) throw malformed('HPE_INVALID_STATUS', 'a protocol switch nobody asked for');
    if (status >= 100 && status < 200) return this.sink.onHead(head); // an interim answer; the final one follows
    const connection = listTokens(headers.connection);
    this.keepAlive = head.minor === 1 ? !connection.includes('close') : connection.includes('keep-alive');
    this.head = head;
    if (this.headRequest || status === 204 || status === 304) {
      // No body, whatever the fields say (RFC 9112 §6.3 rule 1).
      this.state = Body.Length;
      this.remaining = 0;
    } else if (te !== undefined) {
      const codings = listTokens(te);
      if (codings.length !== 1 || codings[0] !== 'chunked') throw malformed('HPE_INVALID_TRANSFER_ENCODING', 'a transfer coding other than chunked');
      this.chunked = new ChunkedDecoder();
      this.state = Body.Chunked;
    } else if (cl !== undefined) {
      const length = Number(cl);
      if (length > Number.MAX_SAFE_INTEGER) throw malformed('HPE_INVALID_CONTENT_LENGTH', 'a Content-Length too large');
      this.state = Body.Length;
      this.remaining = length;
    } else {
      this.state = Body.UntilClose;
      this.keepAlive = false;
    }
    return this.sink.onHead(head);
  }
}
