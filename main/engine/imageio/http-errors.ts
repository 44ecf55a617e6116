import { DiskFerryError } from '../errors.js';
import { redact } from '../log.js';

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

/** Maps an HTTP error status of imageio to a DiskFerryError (reference/imageio.md §4.4, §12.6). */
export function statusError(status: number, body: Uint8Array, ctx: ErrorContext): DiskFerryError {
  const text = errorText(body, ctx.secrets);
  const detail = text ? `: ${text}` : '';
  const base = `${ctx.what} on ${ctx.where} failed with HTTP ${status}${detail}.`;
  if (status === 403 || status === 401)
    // Only the engine can tell whether the transfer is still alive and extend or replace the ticket.
    return new DiskFerryError('ticket-gone', `${base} The transfer ticket expired or was cancelled; check the transfer in the engine.`, {
      status,
      retryable: false,
    });
  if (status >= 500) return new DiskFerryError('server-error', `${base} The data server had a problem; DiskFerry retries automatically.`, { status, retryable: true });
  if (status === 400 || status === 416)
    return new DiskFerryError('protocol', `${base} The server refused the request as invalid; this is a bug in DiskFerry, please report it.`, {
      status,
      retryable: false,
    });
  return new DiskFerryError('protocol', `${base} The server gave an unexpected answer.`, { status, retryable: false });
}

/** A malformed but successful-looking answer (wrong length, bad JSON, wrong Content-Range). */
export function protocolError(message: string, ctx: ErrorContext, cause?: unknown): DiskFerryError {
  return new DiskFerryError('protocol', redact(`${ctx.what} on ${ctx.where}: ${message}`, ctx.secrets), { retryable: false, cause });
}

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_INFO',
]);

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE)/;

function codeOf(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | null | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || TLS_CODE.test(e.code))) return e.code;
  }
  return undefined;
}

/** True when the error is a TLS verification or handshake failure. */
export function isTlsFailure(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && TLS_CODE.test(code);
}

/** True for failures below HTTP (refused, reset, timeout, DNS, TLS): the ones that justify trying proxy_url. */
export function isTransportFailure(err: unknown): boolean {
  return codeOf(err) !== undefined;
}

/**
 * Maps a thrown transport error to a DiskFerryError: TLS problems become `tls-untrusted` (the user
 * must act), everything else below HTTP becomes a retryable `network` error. Returns null for errors
 * that are not transport failures.
 */
export function transportError(err: unknown, ctx: ErrorContext): DiskFerryError | null {
  const code = codeOf(err);
  if (code === undefined) return null;
  const raw = err instanceof Error ? err.message : String(err);
  const detail = redact(`${code}: ${raw}`, ctx.secrets);
  if (TLS_CODE.test(code))
    return new DiskFerryError(
      'tls-untrusted',
      `${ctx.what}: the TLS connection to ${ctx.where} failed (${detail}). Check that the engine CA is trusted in the engine settings.`,
      { cause: err, retryable: false },
    );
  return new DiskFerryError('network', `${ctx.what}: the connection to ${ctx.where} failed (${detail}). Check the network; DiskFerry retries automatically.`, {
    cause: err,
    retryable: true,
  });
}
