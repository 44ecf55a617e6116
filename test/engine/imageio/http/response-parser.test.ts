/**
 * The response parser of the socket dispatcher (main/engine/imageio/http/), rule by rule: the
 * choices RFC 9112 leaves open and how we took them. The fuzz test (response-parser-fuzz.test.ts) checks the
 * same parser against llhttp on many more inputs.
 */
import { describe, expect, it } from 'vitest';
import { parseResponseHead } from '../../../../main/engine/imageio/http/response-head.js';
import { ResponseParser } from '../../../../main/engine/imageio/http/response-parser.js';

/** Parses `text` fed in pieces of `piece` bytes; then the end of the connection. */
function parse(text: string, piece = text.length || 1) {
  const heads: number[] = [];
  const body: Buffer[] = [];
  const p = new ResponseParser({
    onHead: (h) => (heads.push(h.status), true),
    onBody: (c) => (body.push(Buffer.from(c)), true),
  });
  const bytes = Buffer.from(text, 'latin1');
  let rest = 0;
  for (let i = 0; i < bytes.length && !p.complete; i += piece) {
    const part = bytes.subarray(i, i + piece);
    const used = p.execute(part);
    if (p.complete) rest = part.length - used + Math.max(0, bytes.length - i - piece);
  }
  const completeBeforeEnd = p.complete;
  if (!p.complete) p.finish();
  return { heads, body: Buffer.concat(body).toString('latin1'), head: p.head, keepAlive: p.keepAlive, trailers: p.trailers, rest, completeBeforeEnd };
}

const refused = (text: string) => {
  try {
    parse(text);
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'accepted';
};

describe('parseResponseHead', () => {
  it('reads status, reason and lower-cased fields; a repeated field becomes an array, as undici gives it', () => {
    expect(parseResponseHead('HTTP/1.1 206 Partial Content\r\nContent-Length: 5\r\nX-A: 1\r\nx-a:  2 ')).toEqual({
      status: 206,
      statusText: 'Partial Content',
      minor: 1,
      headers: { 'content-length': '5', 'x-a': ['1', '2'] },
    });
  });

  it('takes a status line without a reason phrase', () => {
    expect(parseResponseHead('HTTP/1.0 200')).toMatchObject({ status: 200, statusText: '', minor: 0 });
  });
});

describe('ResponseParser', () => {
  it('reads a Content-Length body split at every byte', () => {
    const r = parse('HTTP/1.1 206 Partial Content\r\ncontent-length: 5\r\n\r\nhello', 1);
    expect(r).toMatchObject({ heads: [206], body: 'hello', keepAlive: true, completeBeforeEnd: true });
  });

  it('skips interim 1xx answers and reads the final one', () => {
    expect(parse('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: <a>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nx', 3)).toMatchObject({ heads: [100, 103, 200], body: 'x' });
  });

  it('reads no body after 204 and 304, whatever the fields say (RFC 9112 §6.3)', () => {
    for (const status of [204, 304]) {
      const r = parse(`HTTP/1.1 ${status} X\r\ncontent-length: 3\r\n\r\nabc`);
      expect(r).toMatchObject({ body: '', completeBeforeEnd: true, rest: 3 });
    }
  });

  it('decodes chunks with extensions (BWS allowed, RFC 9112 §7.1.1) and reads the trailers', () => {
    const r = parse('HTTP/1.1 500 Oops\r\ntransfer-encoding: chunked\r\n\r\n5 ; a = "q;\\"x" ;b\r\nhello\r\n006\r\n world\r\n0\r\nX-Why: disk\r\n\r\n', 2);
    expect(r).toMatchObject({ body: 'hello world', trailers: { 'x-why': 'disk' }, completeBeforeEnd: true });
  });

  it('reads a body without framing until the connection closes, and does not keep that connection', () => {
    expect(parse('HTTP/1.1 403 Forbidden\r\n\r\nno such ticket')).toMatchObject({ body: 'no such ticket', keepAlive: false, completeBeforeEnd: false });
  });

  it('keeps an HTTP/1.1 connection unless it says close, an HTTP/1.0 one only if it says keep-alive', () => {
    expect(parse('HTTP/1.1 200 OK\r\nconnection: Foo, close\r\ncontent-length: 0\r\n\r\n').keepAlive).toBe(false);
    expect(parse('HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n').keepAlive).toBe(false);
    expect(parse('HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n').keepAlive).toBe(true);
  });

  it('stops where the sink pauses and goes on from there', () => {
    const body: string[] = [];
    let pause = true;
    const p = new ResponseParser({ onHead: () => true, onBody: (c) => (body.push(c.toString()), !pause) });
    const bytes = Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
    const used = p.execute(bytes);
    expect(body).toEqual(['abc']);
    pause = false;
    p.execute(bytes.subarray(used));
    expect(body).toEqual(['abc', 'de']);
    expect(p.complete).toBe(true);
  });

  it.each([
    ['LF-only line ends (RFC 9112 §2.2 allows them; llhttp and we do not)', 'HTTP/1.1 200 OK\ncontent-length: 0\n\n', 'HPE_CR_EXPECTED'],
    ['a bare CR in a field value', 'HTTP/1.1 200 OK\r\nx-a: 1\r2\r\n\r\n', 'HPE_LF_EXPECTED'],
    ['obs-fold (a folded field line)', 'HTTP/1.1 200 OK\r\nx-a: 1\r\n 2\r\ncontent-length: 0\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['whitespace before the colon', 'HTTP/1.1 200 OK\r\nx-a : 1\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['a control character in a value', 'HTTP/1.1 200 OK\r\nx-a: 1\x012\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['two Content-Length fields, even equal ones', 'HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 1\r\n\r\nx', 'HPE_UNEXPECTED_CONTENT_LENGTH'],
    ['Content-Length with Transfer-Encoding', 'HTTP/1.1 200 OK\r\ncontent-length: 1\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
    ['a Content-Length above 2^53 - 1', 'HTTP/1.1 200 OK\r\ncontent-length: 9007199254740993\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
    ['a transfer coding other than chunked', 'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
    ['a chunk size above 2^53 - 1', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n20000000000001\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['a chunk extension without a name', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1;=x\r\na\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['chunk data longer than its size', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n', 'HPE_STRICT'],
    ['a protocol switch', 'HTTP/1.1 101 Switching Protocols\r\nupgrade: h2c\r\n\r\n', 'HPE_INVALID_STATUS'],
    ['an HTTP version we do not speak', 'HTTP/2.0 200 OK\r\ncontent-length: 0\r\n\r\n', 'HPE_INVALID_STATUS'],
    ['a body cut short', 'HTTP/1.1 206 Partial Content\r\ncontent-length: 10\r\n\r\nabc', 'HPE_INVALID_EOF_STATE'],
  ])('refuses %s', (_what, text, code) => {
    expect(refused(text)).toBe(code);
  });

  it('refuses a head that grows past 64 KiB without waiting for its end', () => {
    expect(refused(`HTTP/1.1 200 OK\r\nx-a: ${'a'.repeat(70_000)}`)).toBe('HPE_HEADER_OVERFLOW');
  });
});
