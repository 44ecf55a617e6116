import { HttpError } from './http-errors.js';
import { pyRepr } from './python-format.js';

/** A parsed request head plus the body bookkeeping the router needs ("did we read the entire content?"). */
export interface Request {
  readonly method: string;
  /** The raw request target, e.g. `/images/t1?flush=n`. */
  readonly target: string;
  /** Percent-decoded path without the query. */
  readonly path: string;
  /** parse_qsl with keep_blank_values; the last value of a repeated key wins. */
  readonly query: ReadonlyMap<string, string>;
  /** Header names in lower case; the first of repeated headers wins (email.message.get). */
  readonly headers: ReadonlyMap<string, string>;
  /** The client asked to close (Connection: close, or HTTP/1.0 without keep-alive). */
  readonly clientClose: boolean;
  readonly expectContinue: boolean;
  /** Unread body bytes; Infinity when the framing is unknown (chunked, invalid Content-Length). */
  remaining: number;
}

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    // urllib.parse.unquote replaces broken escapes instead of failing.
    return raw.replace(/(%[0-9a-fA-F]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return '\ufffd';
      }
    });
  }
}

function parseQuery(qs: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!qs) return out;
  for (const [k, v] of new URLSearchParams(qs)) out.set(k, v);
  return out;
}

/** Python's `int()` on a Content-Length value, or the 400 imageio raises. */
export function parseContentLength(value: string | undefined): number | null {
  if (value === undefined) return null;
  const m = /^\s*([+-]?\d+)\s*$/.exec(value);
  if (!m) throw new HttpError(400, `Invalid Content-Length: ${pyRepr(value)}`);
  const n = Number(m[1]);
  if (n < 0) throw new HttpError(400, `Negative Content-Length: ${pyRepr(value)}`);
  return n;
}

/** Parses a request head (BaseHTTPRequestHandler.parse_request); returns a stdlib-style 400 on garbage. */
export function parseRequestHead(head: Buffer): Request | HttpError {
  const lines = head.toString('latin1').split('\r\n');
  const words = (lines[0] ?? '').split(/\s+/).filter(Boolean);
  if (words.length !== 3) return new HttpError(400, `Bad request syntax (${pyRepr(lines[0] ?? '')})`);
  const [method, target, version] = words as [string, string, string];
  if (!/^HTTP\/1\.[01]$/.test(version)) {
    return /^HTTP\/\d+\.\d+$/.test(version)
      ? new HttpError(505, `Invalid HTTP version (${version.slice(5)})`)
      : new HttpError(400, `Bad request version (${pyRepr(version)})`);
  }
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return new HttpError(400, `Bad header line (${pyRepr(line)})`);
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  const q = target.indexOf('?');
  const connection = (headers.get('connection') ?? '').toLowerCase();
  const clientClose = connection === 'close' || (version === 'HTTP/1.0' && connection !== 'keep-alive');
  let remaining = 0;
  if (headers.has('transfer-encoding')) remaining = Infinity;
  else {
    try {
      remaining = parseContentLength(headers.get('content-length')) ?? 0;
    } catch {
      remaining = Infinity;
    }
  }
  return {
    method,
    target,
    path: decodePath(q < 0 ? target : target.slice(0, q)),
    query: parseQuery(q < 0 ? '' : target.slice(q + 1)),
    headers,
    clientClose,
    expectContinue: version === 'HTTP/1.1' && (headers.get('expect') ?? '').toLowerCase() === '100-continue',
    remaining,
  };
}
