/**
 * The status line and field lines of an HTTP/1.1 response (RFC 9112 §4, §5), and the trailer
 * fields of a chunked body (§7.1.2), read as llhttp reads them (the fuzz test in
 * test/engine/imageio/http/ compares the two). Where RFC 9112 allows a choice, the stricter one is
 * taken, as llhttp takes it: CRLF only (§2.2), no whitespace before the colon (§5.1), one
 * Content-Length. obs-fold, which §5.2 asks a user agent to replace with spaces, is refused as
 * llhttp refuses it: imageio never folds, so a folded line means something in between to distrust.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** A malformed answer, with the `HPE_` code llhttp gives it (the connection reports a protocol error). */
export function malformed(code: `HPE_${string}`, message: string): Error {
  return Object.assign(new Error(`the answer is not valid HTTP/1.1: ${message}`), { name: 'HTTPParserError', code });
}

/** A response head: status, reason phrase, version and fields (names lower-cased). */
export interface ParsedHead {
  readonly status: number;
  readonly statusText: string;
  /** The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minor: 0 | 1;
  /** Repeated fields become arrays, as undici gives them. */
  readonly headers: IncomingHttpHeaders;
}

/** RFC 9110 §5.6.2 tchar. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A field value after trimming: VCHAR, obs-text, and SP/HTAB inside (RFC 9110 §5.5); no other control. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** HTTP/1.0 or 1.1 (we speak no other), a three-digit status, an optional reason phrase. */
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: ([^\r\n]*))?$/;

/** Adds one field line (`name: value`) to `fields`; repeated names become arrays. */
export function addFieldLine(fields: Record<string, string | string[]>, line: string): void {
  const colon = line.indexOf(':');
  const name = colon > 0 ? line.slice(0, colon) : '';
  if (!TOKEN.test(name)) {
    // A line starting with whitespace is obs-fold (or whitespace after the start line), refused (§5.2, §2.2).
    throw malformed('HPE_INVALID_HEADER_TOKEN', /^[ \t]/.test(line) ? 'a folded or indented field line' : 'an invalid field name');
  }
  const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
  if (!FIELD_VALUE.test(value)) throw malformed('HPE_INVALID_HEADER_TOKEN', 'a control character in a field value');
  const key = name.toLowerCase();
  const prior = fields[key];
  if (prior === undefined) fields[key] = value;
  else if (Array.isArray(prior)) prior.push(value);
  else fields[key] = [prior, value];
}

/** Parses a response head: latin1 text of CRLF-separated lines, without the final empty line. */
export function parseResponseHead(text: string): ParsedHead {
  const lines = text.split('\r\n');
  const m = STATUS_LINE.exec(lines[0] ?? '');
  if (!m) throw malformed('HPE_INVALID_STATUS', 'an invalid status line');
  const headers: Record<string, string | string[]> = {};
  for (let i = 1; i < lines.length; i++) addFieldLine(headers, lines[i]!);
  return { status: Number(m[2]), statusText: m[3] ?? '', minor: m[1] === '0' ? 0 : 1, headers };
}

/** The comma-separated tokens of a list field, lower-cased (RFC 9110 §5.6.1). */
export function listTokens(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}
