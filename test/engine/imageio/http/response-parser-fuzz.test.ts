/**
 * Differential fuzz of our HTTP/1.1 response parser (main/engine/imageio/http/: head, framing,
 * chunked decoder) against llhttp, the parser of undici and node:http. llhttp runs in process
 * through node:http's own binding of it (`_http_common`'s HTTPParser, what node:http's client
 * uses), so thousands of cases take a second and no socket timing enters the comparison.
 *
 * Each case is a response built from a seeded PRNG (status, fields, Content-Length, chunked with
 * extensions and trailers, read-until-close), with at most one mutation (LF-only line ends, bare CR,
 * obs-fold, control characters, bad or duplicate or huge lengths, bad chunk sizes, truncation,
 * extra bytes...), fed to ours in random pieces through one reused read buffer that is scribbled
 * over after each read (so nothing may keep a view of it) and with random pauses. Both must agree
 * on accept or refuse and, when both accept, on status, fields, body, trailers and keep-alive.
 * Where RFC 9112 and llhttp part, the case is tagged and must go the documented way (KNOWN below).
 *
 * A failure prints each failing case's seed: DISKFERRY_FUZZ_SEED=<seed> DISKFERRY_FUZZ_CASES=1
 * replays it alone. DISKFERRY_FUZZ_CASES sets the number of cases (default 3000).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ResponseParser } from '../../../../main/engine/imageio/http/response-parser.js';
import { MAX_HEAD } from '../../../../main/engine/imageio/http/response-parser.js';
import { prng } from '../../../reliability/prng.js';

const SEED = Number(process.env['DISKFERRY_FUZZ_SEED'] ?? 0x5eed14);
const CASES = Number(process.env['DISKFERRY_FUZZ_CASES'] ?? 3000);

/** What a parser made of a response: refused, or the final answer. */
type Outcome =
  | { readonly ok: false; readonly why: string }
  | {
      readonly ok: true;
      readonly status: number;
      readonly interim: readonly number[];
      readonly headers: Record<string, string | string[]>;
      readonly body: string;
      readonly trailers: Record<string, string | string[]>;
      readonly keepAlive: boolean;
      /** Bytes after the end of the answer (ours stops there; llhttp reads them as the next answer). */
      readonly extra: boolean;
    };

/**
 * Where ours and llhttp are known to part, and which way each goes:
 * - `te-other`: a transfer coding other than a lone chunked. RFC 9112 §6.3 reads such a body until
 *   close (llhttp does, and takes `gzip, chunked` as chunked); we never send TE, so we refuse it.
 * - `version`: HTTP/0.9 or 2.x on an HTTP/1.1 connection; llhttp takes them, we speak 1.0 and 1.1 only.
 * - `ext-bws`: whitespace around `;` or `=` of a chunk extension. RFC 9112 §7.1.1 allows it (BWS, which
 *   RFC 9110 §5.6.3 says a recipient must accept); llhttp refuses it, we accept it.
 * - `ext-noname`: a chunk extension without a name (`;=x`): not a token, so not RFC 9112; llhttp takes it.
 * And `extra-crlf`, a CRLF after the end of an answer: llhttp skips it before the next answer, we
 * fail the answer as we do for any byte after its end (the connection is out of step).
 */
const KNOWN: Record<string, { ours: boolean; llhttp: boolean }> = {
  'te-other': { ours: false, llhttp: true },
  version: { ours: false, llhttp: true },
  'ext-bws': { ours: true, llhttp: false },
  'ext-noname': { ours: false, llhttp: true },
};


class Gen {
  constructor(readonly rnd: () => number) {}
  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.rnd() < p;
  }
  text(n: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 -_./'): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }
  bytes(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.int(256));
    return s;
  }
}

const MUTATIONS = [
  'lf-only', 'bare-cr', 'obs-fold', 'space-before-colon', 'ctl-in-value', 'bad-cl', 'dup-cl', 'cl-and-te', 'te-other', 'huge-cl', 'huge-chunk',
  'ext-bws', 'ext-noname', 'bad-ext', 'chunk-overrun', 'bad-chunk-size', 'bad-trailer', 'truncate', 'extra-bytes', 'bad-status', 'version',
  'leading-crlf', 'long-field', 'interim', 'no-reason', 'extra-crlf',
] as const;
type Mutation = (typeof MUTATIONS)[number];

/** One response (latin1) and the mutation it carries. */
function generate(g: Gen): { text: string; mutation: Mutation | null } {
  const mutation: Mutation | null = g.chance(0.4) ? null : g.pick(MUTATIONS);
  const eol = () => (mutation === 'lf-only' && g.chance(0.5) ? '\n' : '\r\n');
  let minor = g.chance(0.85) ? '1' : '0';
  let version = `HTTP/1.${minor}`;
  if (mutation === 'version') [version, minor] = [g.pick(['HTTP/2.0', 'HTTP/0.9', 'HTTP/2.2']), '1'];
  const status = g.pick([200, 200, 206, 206, 204, 304, 403, 404, 416, 500, 503, 299, 599, 302]);
  const reason = mutation === 'no-reason' ? '' : ` ${g.pick(['OK', 'Partial Content', '', 'Weird\tPhrase', 'obs\xe9text', 'No Content'])}`;
  let statusLine = `${version} ${status}${reason}`;
  if (mutation === 'bad-status') statusLine = g.pick([`HTTP/1.1 2O0 OK`, 'HTTP/1.1  200 OK', 'http/1.1 200 OK', 'HTTP/1.1 20 OK', 'HTTP/1.1 2000 OK', 'HTTP/1.2 200 OK', 'HTTP/1.1', 'HTTP/1.1 200\x00OK'.replace('\x00', '\r')]);

  const fields: Array<[string, string]> = [];
  for (let i = g.int(5); i > 0; i--) {
    const name = g.pick(['X-Image', 'Content-Type', 'x-a', 'X-A', 'Date', 'Server', 'Cache-Control', 'Access-Control-Allow-Origin']);
    const pad = () => g.pick(['', ' ', '\t', '  ']);
    fields.push([name, `${pad()}${g.text(g.int(20))}${g.chance(0.2) ? '\xe9\xff' : ''}`.replace(/ +$/, '') + pad()]);
  }
  if (g.chance(0.3)) fields.push(['Connection', g.pick(['close', 'keep-alive', 'foo, close', 'Keep-Alive', 'upgrade-not'])]);
  if (mutation === 'long-field') fields.push(['X-Long', g.text(20_000)]);

  const body = g.chance(0.1) ? '' : g.chance(0.8) ? g.text(g.int(200)) : g.bytes(g.int(3000));
  const framing = ['huge-chunk', 'ext-bws', 'ext-noname', 'bad-ext', 'chunk-overrun', 'bad-chunk-size', 'bad-trailer', 'te-other'].includes(mutation ?? '')
    ? 'chunked'
    : ['bad-cl', 'dup-cl', 'huge-cl', 'cl-and-te'].includes(mutation ?? '')
      ? 'length'
      : g.pick(['length', 'length', 'chunked', 'close']);
  let payload = '';
  if (framing === 'length') {
    let cl = String(body.length);
    if (mutation === 'bad-cl') cl = g.pick(['1 2', '-1', '+5', '', '0x10', '1,1', `${body.length}a`, ' ']);
    if (mutation === 'huge-cl') cl = g.pick(['9007199254740993', '18446744073709551615', '18446744073709551616', '0000000000000000000000000005']);
    fields.push(['Content-Length', cl]);
    if (mutation === 'dup-cl') fields.push(['content-length', g.chance(0.5) ? cl : String(body.length + 1)]);
    if (mutation === 'cl-and-te') fields.push(['Transfer-Encoding', 'chunked']);
    payload = body;
  } else if (framing === 'chunked') {
    fields.push(['Transfer-Encoding', mutation === 'te-other' ? g.pick(['gzip, chunked', 'chunked, chunked', 'deflate, chunked']) : g.pick(['chunked', 'Chunked', 'chunked '])]);
    if (mutation === 'cl-and-te') fields.push(['Content-Length', String(body.length)]);
    let pos = 0;
    const parts: string[] = [];
    while (pos < body.length) {
      const n = 1 + g.int(Math.min(body.length - pos, 700));
      parts.push(body.slice(pos, pos + n));
      pos += n;
    }
    const hit = g.int(parts.length + 1); // which chunk-size line a chunk mutation touches (the last is the 0 line)
    const sizeLine = (n: number, i: number) => {
      let size = g.pick([n.toString(16), n.toString(16).toUpperCase(), `00${n.toString(16)}`]);
      let ext = g.chance(0.2) ? g.pick([';a=b', ';name', ';q="x;y\\"z"', ';a=b;c']) : '';
      if (i === hit) {
        if (mutation === 'ext-bws') ext = g.pick([' ;a=b', '; a=b', ';a = b', ';a =b']);
        if (mutation === 'ext-noname') ext = ';=b';
        if (mutation === 'bad-ext') ext = g.pick([';a b', ';a=b c', ';a="unclosed', ';a=\x01', ';;']);
        if (mutation === 'bad-chunk-size') size = g.pick(['xyz', '', '-1', ' 5', '5 ', '0x5', '+1']);
        if (mutation === 'huge-chunk') size = g.pick(['20000000000000', 'ffffffffffffffff', '10000000000000000', '00000000000000000000001']);
      }
      return `${size}${ext}`;
    };
    parts.forEach((p, i) => {
      const overrun = mutation === 'chunk-overrun' && i === hit ? 'X' : '';
      payload += `${sizeLine(p.length, i)}${eol()}${p}${overrun}${eol()}`;
    });
    payload += `${sizeLine(0, parts.length)}${eol()}`;
    if (g.chance(0.3)) payload += `X-Trailer: ${g.text(8)}${eol()}`;
    if (mutation === 'bad-trailer') payload += g.pick(['Bad Name: x\r\n', ' folded\r\n', 'X: \x01\r\n', 'nocolon\r\n']);
    payload += eol();
  } else payload = body;

  // A field mutation lands in one field line.
  const lines = fields.map(([n, v]) => `${n}:${v}`);
  if (lines.length === 0) lines.push(`X-Only:${g.text(5)}`);
  const at = g.int(lines.length);
  if (mutation === 'bare-cr') lines[at] += `x\ry`;
  if (mutation === 'obs-fold') lines[at] += `\r\n ${g.text(4)}`;
  if (mutation === 'space-before-colon') lines[at] = lines[at]!.replace(':', g.pick([' :', '\t:']));
  if (mutation === 'ctl-in-value') lines[at] += g.pick(['\x00', '\x01', '\x7f', '\x1b']);
  let head = [statusLine, ...lines].join(eol()) + eol() + eol();
  if (mutation === 'interim') head = `HTTP/1.1 ${g.pick([100, 102, 103])} Info${eol()}${g.chance(0.5) ? `Link: <x>${eol()}` : ''}${eol()}${head}`;
  if (mutation === 'leading-crlf') head = `\r\n${head}`;
  let text = head + payload;
  if (mutation === 'truncate') text = text.slice(0, g.int(text.length));
  if (mutation === 'extra-bytes' && framing !== 'close') text += g.pick(['garbage', 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n', 'HTTP/1.1 200 OK\r\n']);
  if (mutation === 'extra-crlf' && framing !== 'close') text += '\r\n';
  return { text, mutation };
}

/** Ours: random pieces through one reused, scribbled-over read buffer, with random pauses. */
function ours(bytes: Buffer, g: Gen): Outcome {
  const scratch = Buffer.alloc(bytes.length + 1);
  const body: Buffer[] = [];
  const interim: number[] = [];
  let final: { status: number; headers: Record<string, string | string[]> } | null = null;
  let pauseNext = false;
  const parser = new ResponseParser({
    onHead: (h) => {
      if (h.status < 200) interim.push(h.status);
      else final = { status: h.status, headers: h.headers as Record<string, string | string[]> };
      return true;
    },
    onBody: (chunk) => {
      body.push(Buffer.from(chunk));
      pauseNext = g.chance(0.1);
      return !pauseNext;
    },
  });
  let extra = false;
  try {
    let pos = 0;
    while (pos < bytes.length && !extra) {
      const n = g.chance(0.3) ? bytes.length - pos : 1 + g.int(Math.min(64, bytes.length - pos));
      bytes.copy(scratch, 0, pos, pos + n);
      let view = scratch.subarray(0, n);
      for (;;) {
        const used = parser.execute(view);
        if (parser.complete) {
          extra = used < view.length;
          break;
        }
        if (used === view.length && !pauseNext) break;
        pauseNext = false;
        view = view.subarray(used); // resumed after a pause
      }
      scratch.fill(0xee, 0, n);
      pos += n;
    }
    if (!parser.complete) parser.finish();
  } catch (err) {
    return { ok: false, why: (err as { code?: string }).code ?? String(err) };
  }
  const f = final as { status: number; headers: Record<string, string | string[]> } | null;
  if (!f) return { ok: false, why: 'no final head' };
  return { ok: true, status: f.status, interim, headers: f.headers, body: Buffer.concat(body).toString('latin1'), trailers: parser.trailers as Record<string, string | string[]>, keepAlive: parser.keepAlive, extra };
}

interface NodeHttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(b: Buffer): number | (Error & { code: string });
  finish(): undefined | (Error & { code: string });
  close(): void;
  [k: number]: unknown;
}
const { HTTPParser } = createRequire(import.meta.url)('_http_common') as {
  HTTPParser: { new (): NodeHttpParser; RESPONSE: number; kOnHeaders: number; kOnHeadersComplete: number; kOnBody: number; kOnMessageComplete: number; kOnMessageBegin: number };
};

function fieldsOf(raw: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i]!.toLowerCase();
    const prior = out[key];
    out[key] = prior === undefined ? raw[i + 1]! : Array.isArray(prior) ? [...prior, raw[i + 1]!] : [prior, raw[i + 1]!];
  }
  return out;
}

/** llhttp, as node:http runs it (no lenient flags), with our head limit. */
function llhttp(bytes: Buffer): Outcome {
  const p = new HTTPParser();
  p.initialize(HTTPParser.RESPONSE, {}, MAX_HEAD, 0);
  const interim: number[] = [];
  const body: Buffer[] = [];
  let raw: string[] = [];
  let final: { status: number; headers: Record<string, string | string[]>; keepAlive: boolean } | null = null;
  let trailers: string[] = [];
  let completes = 0;
  let begunAfter = false;
  p[HTTPParser.kOnMessageBegin] = () => {
    if (final && completes > interim.length) begunAfter = true;
  };
  p[HTTPParser.kOnHeaders] = (h: string[]) => {
    if (!final) raw = raw.concat(h);
    else if (completes <= interim.length) trailers = trailers.concat(h); // flushed just before the final answer completes
  };
  p[HTTPParser.kOnHeadersComplete] = (_maj: number, _min: number, headers: string[], _m: unknown, _u: unknown, status: number, _msg: string, _up: boolean, keep: boolean) => {
    const all = raw.concat(headers ?? []);
    raw = [];
    if (status < 200) interim.push(status);
    else if (!final) final = { status, headers: fieldsOf(all), keepAlive: keep };
    return 0;
  };
  p[HTTPParser.kOnBody] = (b: Buffer) => {
    if (!begunAfter) body.push(Buffer.from(b));
  };
  p[HTTPParser.kOnMessageComplete] = () => void completes++;
  try {
    const r = p.execute(bytes);
    const done = () => final !== null && completes > interim.length;
    // An error after the answer ended belongs to the bytes after it.
    if (typeof r !== 'number' && !done()) return { ok: false, why: r.code };
    const extra = typeof r !== 'number' || begunAfter;
    if (!done()) {
      const f = p.finish();
      if (f) return { ok: false, why: f.code };
    }
    const fin = final as { status: number; headers: Record<string, string | string[]>; keepAlive: boolean } | null;
    if (!fin || !done()) return { ok: false, why: 'incomplete' };
    return { ok: true, status: fin.status, interim, headers: fin.headers, body: Buffer.concat(body).toString('latin1'), trailers: fieldsOf(trailers), keepAlive: fin.keepAlive, extra };
  } finally {
    p.close();
  }
}

describe('our response parser against llhttp', () => {
  it(`agrees on ${CASES} seeded responses (seed ${SEED})`, () => {
    const failures: string[] = [];
    const seen = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      const seed = SEED + i;
      const g = new Gen(prng(seed));
      const { text, mutation } = generate(g);
      const bytes = Buffer.from(text, 'latin1');
      const a = ours(bytes, g);
      const b = llhttp(bytes);
      const key = `${mutation ?? 'valid'}:${a.ok ? 'ok' : 'refused'}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      const known = mutation ? KNOWN[mutation] : undefined;
      let problem: string | null = null;
      if (known) {
        // A mutation that also broke the response otherwise (a 204 ignores its framing...) may end alike.
        if (a.ok !== b.ok && (a.ok !== known.ours || b.ok !== known.llhttp)) problem = `expected ours ${known.ours}, llhttp ${known.llhttp}`;
      } else if (a.ok !== b.ok) problem = 'one accepts, the other refuses';
      if (!problem && a.ok && b.ok && !known) {
        const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
        if (a.status !== b.status || !same(a.interim, b.interim)) problem = 'status';
        else if (!same(a.headers, b.headers)) problem = 'fields';
        else if (a.body !== b.body) problem = 'body';
        else if (!same(a.trailers, b.trailers)) problem = 'trailers';
        else if (a.keepAlive !== b.keepAlive) problem = 'keep-alive';
        // A stray CRLF after an answer: llhttp skips it as the start of the next; we fail the answer (any byte after its end does).
        else if (a.extra !== b.extra && !(mutation === 'extra-crlf' && a.extra)) problem = 'bytes after the end';
      }
      if (problem)
        failures.push(`seed ${seed} (${mutation ?? 'valid'}): ${problem}\n  input ${JSON.stringify(text.length > 600 ? `${text.slice(0, 600)}…` : text)}\n  ours ${JSON.stringify(a).slice(0, 300)}\n  llhttp ${JSON.stringify(b).slice(0, 300)}`);
    }
    expect(failures.slice(0, 8).join('\n'), `${failures.length} of ${CASES} cases differ; replay one with DISKFERRY_FUZZ_SEED=<seed> DISKFERRY_FUZZ_CASES=1`).toBe('');
    // The generator must really reach both sides of the parser, or the comparison proves little.
    if (CASES >= 1000) {
      expect(seen.get('valid:ok') ?? 0).toBeGreaterThan(CASES / 10);
      expect([...seen.keys()].filter((k) => k.endsWith(':refused')).length).toBeGreaterThan(10);
    }
  });
});
