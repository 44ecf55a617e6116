import type { IncomingHttpHeaders } from 'node:http';
import { LineReader } from './line-reader.js';
import { addFieldLine, malformed } from './response-head.js';

/** Longest chunk-size line or trailer section accepted. */
const MAX_LINE = 64 * 1024;

const TCHAR = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]";
const QUOTED = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t\\x20-\\x7e\\x80-\\xff])*"';
/**
 * chunk-size [ chunk-ext ] (RFC 9112 §7.1.1): BWS around `;` and `=` is accepted as the RFC asks of
 * a recipient (llhttp refuses it), an extension must have a name (llhttp takes `;=x`).
 */
const SIZE_LINE = new RegExp(`^([0-9A-Fa-f]+)((?:[ \\t]*;[ \\t]*${TCHAR}+(?:[ \\t]*=[ \\t]*(?:${TCHAR}+|${QUOTED}))?)*)$`);

const enum State {
  Size,
  Data,
  DataCr,
  DataLf,
  Trailers,
  Done,
}

/**
 * Decodes a chunked body (RFC 9112 §7.1): data is handed on as views of the caller's buffer, never
 * copied. Chunk extensions are checked and ignored; trailer fields are parsed like header fields.
 * A chunk size above 2^53 - 1 is refused (llhttp takes up to 2^64 - 1): no body we read is that long.
 */
export class ChunkedDecoder {
  readonly trailers: IncomingHttpHeaders = {};
  private state = State.Size;
  private left = 0;
  private readonly lines = new LineReader(MAX_LINE, 'HPE_INVALID_CHUNK_SIZE');

  get done(): boolean {
    return this.state === State.Done;
  }

  /**
   * Decodes `buf` from `pos`, handing data to `out` (a view, valid during the call). Returns where it
   * stopped: at the end of `buf`, after the last chunk's trailers, or after a piece for which `out`
   * returned false (the caller pauses and calls again with the rest).
   */
  execute(buf: Buffer, pos: number, out: (data: Buffer) => boolean): number {
    while (pos < buf.length && this.state !== State.Done) {
      switch (this.state) {
        case State.Size: {
          const line = this.lines.read(buf, pos);
          if (line === null) return buf.length;
          pos = this.lines.end;
          this.lines.reset();
          const m = SIZE_LINE.exec(line);
          if (!m) throw malformed('HPE_INVALID_CHUNK_SIZE', 'an invalid chunk-size line');
          const size = parseInt(m[1]!, 16);
          if (size > Number.MAX_SAFE_INTEGER) throw malformed('HPE_INVALID_CHUNK_SIZE', 'a chunk size too large');
          this.left = size;
          this.state = size === 0 ? State.Trailers : State.Data;
          break;
        }
        case State.Data: {
          const n = Math.min(this.left, buf.length - pos);
          this.left -= n;
          pos += n;
          if (this.left === 0) this.state = State.DataCr;
          if (!out(buf.subarray(pos - n, pos))) return pos;
          break;
        }
        case State.DataCr:
          if (buf[pos++] !== 0x0d) throw malformed('HPE_STRICT', 'no CRLF after chunk data');
          this.state = State.DataLf;
          break;
        case State.DataLf:
          if (buf[pos++] !== 0x0a) throw malformed('HPE_STRICT', 'no CRLF after chunk data');
          this.state = State.Size;
          break;
        case State.Trailers: {
          const line = this.lines.read(buf, pos);
          if (line === null) return buf.length;
          pos = this.lines.end;
          if (line === '') this.state = State.Done;
          else addFieldLine(this.trailers as Record<string, string | string[]>, line);
          break;
        }
      }
    }
    return pos;
  }
}
