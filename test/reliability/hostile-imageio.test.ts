/**
 * The hostile-answer matrix of the data plane: each row is one broken or hostile answer of an
 * imageio server over real TLS, driven through the real client (openImageio, the session's extents
 * and checksum, downloadRanges, the connections' PUT and PATCH). Each must end in a typed
 * DiskFerryError whose message says what to do, never follow a redirect, and never send the ticket
 * to another host: a canary on 127.0.0.2 records every connection. Dropped connections, certificates
 * and the 4.1 signed ticket are in hostile-imageio-transport.test.ts; whole uploads and downloads
 * against such servers in hostile-flows.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { DiskFerryError } from '../../main/engine/errors.js';
import { reply, requestBody, requestLine, type RawRequest } from './hostile-servers.js';
import { kindOf, type ImageioRequestKind, type StandInImageio } from './hostile-imageio-server.js';
import { asked, failure, OP_OF, redirectTo, TICKET, useImageioHarness, type Op } from './hostile-imageio-harness.js';

const JSON_TYPE = { 'content-type': 'application/json' };
/** Every refusal ends with what the user can do about it. */
const WHAT_TO_DO = /Check that the engine's transfer_url and proxy_url|check the transfer in the engine|Check the network/;

interface Row {
  readonly name: string;
  /** The request kind that gets the hostile answer (every time it comes). */
  readonly kind: ImageioRequestKind;
  readonly answer: (req: RawRequest, image: Buffer, canary: string) => void | Promise<void>;
  readonly op: Op;
  readonly code: DiskFerryError['code'];
  readonly says: RegExp;
}

/** Chunked JSON-looking bytes that never end (until the client hangs up). */
function endless(req: RawRequest): void {
  const s = req.socket;
  s.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n');
  const chunk = Buffer.from(`10000\r\n${' '.repeat(0x10000)}\r\n`, 'latin1');
  let sent = 0;
  const pump = () => {
    while (!s.destroyed && sent++ < 4096) if (!s.write(chunk)) return void s.once('drain', pump);
  };
  pump();
}

/** A 403 (the ticket is gone) whose text never ends: it must be cut, not drained forever. */
async function endlessRefusal(req: RawRequest): Promise<void> {
  await requestBody(req);
  const s = req.socket;
  s.write('HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n');
  const chunk = Buffer.from(`10000\r\n${'No such ticket. '.repeat(0x1000)}\r\n`, 'latin1');
  let sent = 0;
  const pump = () => {
    while (!s.destroyed && sent++ < 4096) if (!s.write(chunk)) return void s.once('drain', pump);
  };
  pump();
}

const endlessRefusalRows = (kinds: readonly ImageioRequestKind[]): Row[] =>
  kinds.map((kind) => ({
    name: `${kind}: a 403 whose text never ends`,
    kind,
    answer: endlessRefusal,
    op: OP_OF[kind],
    code: 'ticket-gone',
    says: /HTTP 403: No such ticket.*ticket expired or was cancelled; check the transfer/,
  }));

const json = (body: string) => (req: RawRequest) => reply(req.socket, 200, JSON_TYPE, body);
const declaredHuge = (req: RawRequest) => reply(req.socket, 200, JSON_TYPE, '[{"start": 0', 300 * 1024 * 1024);

const redirectRows = (kind: ImageioRequestKind, statuses: readonly number[]): Row[] =>
  statuses.map((status) => ({
    name: `${kind}: a ${status} redirect to another host`,
    kind,
    answer: redirectTo(status),
    op: OP_OF[kind],
    code: 'protocol',
    says: new RegExp(`redirect \\(HTTP ${status}\\).*never follows.*transfer_url`),
  }));

const ROWS: Row[] = [
  // Ranged GETs: imageio promises 206, the exact Content-Length and Content-Range.
  {
    name: 'get: a 206 whose Content-Range names other bytes',
    kind: 'get',
    answer: (req, image) => {
      const [a, b] = asked(req);
      reply(req.socket, 206, { 'content-range': `bytes ${a + 512}-${b + 512}/${image.length}` }, image.subarray(a, b + 1));
    },
    op: 'get',
    code: 'protocol',
    says: /expected Content-Range for bytes 0-\d+, got 'bytes 512-/,
  },
  {
    name: 'get: a 206 with an unreadable Content-Range',
    kind: 'get',
    answer: (req, image) => {
      const [a, b] = asked(req);
      reply(req.socket, 206, { 'content-range': 'bytes */*' }, image.subarray(a, b + 1));
    },
    op: 'get',
    code: 'protocol',
    says: /expected Content-Range/,
  },
  {
    name: 'get: a 206 without Content-Range',
    kind: 'get',
    answer: (req, image) => {
      const [a, b] = asked(req);
      reply(req.socket, 206, {}, image.subarray(a, b + 1));
    },
    op: 'get',
    code: 'protocol',
    says: /expected Content-Range for bytes 0-\d+, got none/,
  },
  {
    name: 'get: a 206 whose Content-Length is shorter than the range',
    kind: 'get',
    answer: (req, image) => {
      const [a, b] = asked(req);
      reply(req.socket, 206, { 'content-range': `bytes ${a}-${b - 100}/${image.length}` }, image.subarray(a, b - 99));
    },
    op: 'get',
    code: 'protocol',
    says: /expected Content-Length \d+, got \d+/,
  },
  {
    name: 'get: a 206 whose Content-Length is longer than the range',
    kind: 'get',
    answer: (req, image) => {
      const [a, b] = asked(req);
      reply(req.socket, 206, { 'content-range': `bytes ${a}-${b}/${image.length}` }, Buffer.concat([image.subarray(a, b + 1), Buffer.alloc(100, 0x55)]));
    },
    op: 'get',
    code: 'protocol',
    says: /expected Content-Length \d+, got \d+/,
  },
  {
    name: 'get: an over-long 206 body without Content-Length (chunked)',
    kind: 'get',
    answer: (req, image) => {
      const [a, b] = asked(req);
      const body = Buffer.concat([image.subarray(a, b + 1), Buffer.alloc(4096, 0x55)]);
      req.socket.write(`HTTP/1.1 206 Partial Content\r\ncontent-range: bytes ${a}-${b}/${image.length}\r\ntransfer-encoding: chunked\r\n\r\n`);
      req.socket.write(Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]));
    },
    op: 'get',
    code: 'protocol',
    says: /expected Content-Length/,
  },
  {
    name: 'get: a 200 with the whole image instead of a 206',
    kind: 'get',
    answer: (req, image) => reply(req.socket, 200, { 'content-type': 'application/octet-stream' }, image),
    op: 'get',
    code: 'protocol',
    says: /expected HTTP 206 for a ranged GET, got 200/,
  },
  ...redirectRows('get', [301, 302, 303, 307, 308]),
  // OPTIONS: the server's capabilities decide how many writers touch the disk, so garbage is refused.
  { name: 'options: malformed JSON', kind: 'options', answer: json('{"features": ["extents", "zero"'), op: 'open', code: 'protocol', says: /OPTIONS.*not imageio's JSON.*transfer_url/ },
  { name: 'options: an HTML page', kind: 'options', answer: (req) => reply(req.socket, 200, { 'content-type': 'text/html' }, '<html>portal</html>'), op: 'open', code: 'protocol', says: /OPTIONS.*not imageio's JSON/ },
  { name: 'options: JSON that is not an object', kind: 'options', answer: json('["extents", "zero"]'), op: 'open', code: 'protocol', says: /OPTIONS.*not imageio's JSON/ },
  { name: 'options: a Content-Length over the size limit', kind: 'options', answer: declaredHuge, op: 'open', code: 'protocol', says: /larger than .*refuses.*transfer_url/ },
  { name: 'options: an endless body', kind: 'options', answer: endless, op: 'open', code: 'protocol', says: /larger than .*refuses/ },
  ...redirectRows('options', [302, 307]),
  // Extents decide which bytes are fetched at all: anything odd would make a silent hole in the copy.
  { name: 'extents: malformed JSON', kind: 'extents', answer: json('[{"start": 0, "length": '), op: 'extents', code: 'protocol', says: /not valid JSON/ },
  { name: 'extents: JSON of the wrong shape', kind: 'extents', answer: json('{"extents": []}'), op: 'extents', code: 'protocol', says: /malformed extents/ },
  { name: 'extents: a gap between extents', kind: 'extents', answer: json('[{"start": 0, "length": 4096, "zero": false}, {"start": 8192, "length": 4096, "zero": true}]'), op: 'extents', code: 'protocol', says: /gap or overlap at byte 4096/ },
  { name: 'extents: a Content-Length over the size limit', kind: 'extents', answer: declaredHuge, op: 'extents', code: 'protocol', says: /larger than .*refuses/ },
  ...redirectRows('extents', [302, 307]),
  { name: 'checksum: malformed JSON', kind: 'checksum', answer: json('{"checksum": '), op: 'checksum', code: 'protocol', says: /not valid JSON/ },
  { name: 'checksum: a checksum that is not hex', kind: 'checksum', answer: json('{"algorithm": "blake2b", "block_size": 4194304, "checksum": "<script>"}'), op: 'checksum', code: 'protocol', says: /malformed checksum/ },
  { name: 'checksum: a Content-Length over the size limit', kind: 'checksum', answer: declaredHuge, op: 'checksum', code: 'protocol', says: /larger than .*refuses/ },
  ...redirectRows('checksum', [302]),
  // Writes: a followed 307/308 would send the disk's data (and the ticket) to the other host.
  ...redirectRows('put', [302, 307, 308]),
  ...redirectRows('patch', [307, 308]),
  ...endlessRefusalRows(['options', 'extents', 'get', 'put', 'patch']),
];

const h = useImageioHarness();

describe('hostile imageio answers', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s is refused', async (_name, row) => {
    const logLines: string[] = [];
    const hostile = (req: RawRequest, kind: ImageioRequestKind) => (kind === row.kind ? Promise.resolve(row.answer(req, server.image, h.canary().origin)).then(() => true) : false);
    const server: StandInImageio = await h.standIn({ hostile, features: ['extents', 'zero', 'flush', 'checksum'] });
    const written = new Map<number, Buffer>();
    const err = await failure(h.open({ transferUrl: `${server.origin}/images/${TICKET}` }, logLines).then((s) => h.perform(row.op, s, written)));
    expect(err.code).toBe(row.code);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(row.says);
    expect(err.message).toMatch(WHAT_TO_DO);
    expect(err.message).toContain('127.0.0.1');
    h.expectNoLeak(err, logLines);
    // Whatever reached the file is the image's own bytes at their own offsets: nothing hostile was written.
    for (const [offset, data] of written) expect(data.equals(server.image.subarray(offset, offset + data.length))).toBe(true);
    // A refused answer is not asked for again (only network failures and 5xx are).
    expect(server.requests.filter((r) => kindOf(requestLine(r)) === row.kind)).toHaveLength(1);
  });
});
