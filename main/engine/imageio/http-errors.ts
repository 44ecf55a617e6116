import type { IncomingHttpHeaders } from 'node:http';
import { DiskFerryError, errorMessage } from '../errors.js';
import { redact } from '../log.js';
import { isTlsCode, transportCode } from '../net-errors.js';

/** Where an error happened, for messages: what we tried, on which server, and which secrets to hide. */
export interface ErrorContext {
  /** The operation, e.g. "Uploading bytes 0-4194303". */
  readonly what: string;
  /** Display form of the server, e.g. "host:54322 (direct)"; never contains the ticket. */
  readonly where: string;
  /** Strings that must not appear in messages (the ticket id, the signed ticket). */
  readonly secrets: readonly string[];
}

/** imageio error bodies are short text; the reference client keeps the first 512 bytes. */
const ERROR_TEXT_LIMIT = 512;

/** Decodes an imageio error body: UTF-8, first 512 bytes, trimmed, secrets removed. */
export function errorText(body: Uint8Array, secrets: readonly string[]): string {
  const text = Buffer.from(body.buffer, body.byteOffset, Math.min(body.length, ERROR_TEXT_LIMIT)).toString('utf8').trim();
  return redact(text, secrets);
}

/** The limit N a 416 carries in its Content-Range ("bytes *" then "/N": the ticket or the available size); null without one. */
function rangeLimit(headers: IncomingHttpHeaders | undefined): number | null {
  const m = /^bytes \*\/(\d+)$/.exec(String(headers?.['content-range'] ?? '').trim());
  return m ? Number(m[1]) : null;
}

/** Maps an HTTP error status of imageio to a DiskFerryError (reference/imageio.md §4.4, §12.6). */
export function statusError(status: number, body: Uint8Array, ctx: ErrorContext, headers?: IncomingHttpHeaders): DiskFerryError {
  const text = errorText(body, ctx.secrets);
  const detail = text ? `: ${text}` : '';
  const base = `${ctx.what} on ${ctx.where} failed with HTTP ${status}${detail}.`;
  if (status === 403 || status === 401)
    // Only the engine can tell whether the transfer is still alive and extend or replace the ticket.
    return new DiskFerryError('ticket-gone', `${base} The transfer ticket expired or was cancelled; check the transfer in the engine.`, {
      status,
      retryable: false,
    });
  if (status >= 300 && status < 400)
    // Following it would hand the ticket (the path) and any signed ticket to a host the engine never named.
    return new DiskFerryError(
      'protocol',
      `${ctx.what} on ${ctx.where} was answered with a redirect (HTTP ${status}), which DiskFerry never follows: the transfer ticket is valid only on the server the engine named. ` +
        "Check that the engine's transfer_url and proxy_url point at ovirt-imageio itself, not at a web server or proxy in front of it.",
      { status, retryable: false },
    );
  if (status >= 500) return new DiskFerryError('server-error', `${base} The data server had a problem; DiskFerry retries automatically.`, { status, retryable: true });
  if (status === 400 || status === 416) {
    // A 416 names the end the server allows; it tells a range bug from an image smaller than its ticket.
    const limit = status === 416 ? rangeLimit(headers) : null;
    const why =
      limit === null
        ? 'The server refused the request as invalid; this is a bug in DiskFerry, please report it.'
        : `The server has bytes below ${limit} only: the image on it is smaller than the transfer's size (check the disk's size in the engine), or this is a bug in DiskFerry (please report it).`;
    return new DiskFerryError('protocol', `${base} ${why}`, {
      status,
      retryable: false,
    });
  }
  return new DiskFerryError('protocol', `${base} The server gave an unexpected answer.`, { status, retryable: false });
}

/** What the user can do about a data server that answers what imageio never would. */
export const BROKEN_SERVER_HINT =
  "DiskFerry stopped so that nothing wrong is written. Check that the engine's transfer_url and proxy_url lead to ovirt-imageio itself (not to a web server or proxy in front of it), then run the transfer again.";

/** A malformed but successful-looking answer (wrong length, bad JSON, wrong Content-Range). */
export function protocolError(message: string, ctx: ErrorContext, cause?: unknown): DiskFerryError {
  return new DiskFerryError('protocol', redact(`${ctx.what} on ${ctx.where}: ${message}. ${BROKEN_SERVER_HINT}`, ctx.secrets), { retryable: false, cause });
}

/** True for failures below HTTP (refused, reset, timeout, DNS, TLS): the ones that justify trying proxy_url. */
export function isTransportFailure(err: unknown): boolean {
  return transportCode(err) !== undefined;
}

/**
 * Maps a thrown transport error to a DiskFerryError: TLS problems become `tls-untrusted` (the user
 * must act), everything else below HTTP becomes a retryable `network` error. Returns null for errors
 * that are not transport failures.
 */
export function transportError(err: unknown, ctx: ErrorContext): DiskFerryError | null {
  const code = transportCode(err);
  if (code === undefined) return null;
  const raw = errorMessage(err);
  const detail = redact(`${code}: ${raw}`, ctx.secrets);
  if (isTlsCode(code))
    return new DiskFerryError(
      'tls-untrusted',
      `${ctx.what}: the TLS connection to ${ctx.where} failed (${detail}), so DiskFerry stopped before sending the transfer ticket. ` +
        "The data server's certificate must be issued by the trusted engine CA for the host name the engine gave: ask your administrator to check that host's imageio certificate, and check that the engine CA is trusted in the engine settings.",
      { cause: err, retryable: false },
    );
  return new DiskFerryError('network', `${ctx.what}: the connection to ${ctx.where} failed (${detail}). Check the network; DiskFerry retries automatically.`, {
    cause: err,
    retryable: true,
  });
}
