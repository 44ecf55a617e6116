import { malformed } from './response-head.js';

const CR = 0x0d;
const LF = 0x0a;

/**
 * Reads CRLF-terminated lines (a status line, field lines, chunk-size lines) out of socket reads;
 * a line may span reads. A bare LF or a CR not followed by LF is refused (RFC 9112 §2.2 lets a
 * recipient accept a bare LF; llhttp does not, and neither do we). `limit` bounds the bytes read
 * since the last reset(), so a server cannot grow a head or a trailer section without end.
 */
export class LineReader {
  /** Where the last complete line ended in the buffer given to read(). */
  end = 0;
  private parts: Buffer[] = [];
  private partial = 0;
  private afterCr = false;
  private used = 0;

  constructor(
    private readonly limit: number,
    private readonly overflowCode: `HPE_${string}`,
  ) {}

  /** Starts a new bounded section (a new head, a trailer section). */
  reset(): void {
    this.used = 0;
  }

  /**
   * Reads from `buf` at `pos` to the end of the next line: the line (latin1, without its CRLF),
   * with `end` set past its LF; or null when `buf` ended first (the partial line is kept).
   */
  read(buf: Buffer, pos: number): string | null {
    for (let i = pos; i < buf.length; i++) {
      const b = buf[i]!;
      if (this.afterCr) {
        if (b !== LF) throw malformed('HPE_LF_EXPECTED', 'a CR without LF');
        this.afterCr = false;
        this.used += i + 1 - pos;
        if (this.used > this.limit) throw malformed(this.overflowCode, 'a head or trailer section that is too large');
        this.end = i + 1;
        return this.take(buf, pos, i);
      }
      if (b === CR) this.afterCr = true;
      else if (b === LF) throw malformed('HPE_CR_EXPECTED', 'a line that ends with LF only');
    }
    this.used += buf.length - pos;
    if (this.used > this.limit) throw malformed(this.overflowCode, 'a head or trailer section that is too large');
    // The read buffer is reused: what stays of the line is copied.
    if (buf.length > pos) {
      this.parts.push(Buffer.from(buf.subarray(pos)));
      this.partial += buf.length - pos;
    }
    return null;
  }

  /** The line from the kept parts and buf[pos, lfAt), without its CR (which may be the last kept byte). */
  private take(buf: Buffer, pos: number, lfAt: number): string {
    if (this.parts.length === 0) return buf.toString('latin1', pos, lfAt - 1);
    const whole = Buffer.concat([...this.parts, buf.subarray(pos, lfAt)], this.partial + lfAt - pos);
    this.parts = [];
    this.partial = 0;
    return whole.toString('latin1', 0, whole.length - 1);
  }
}
