/**
 * Classification of errors below HTTP, shared by the engine REST client and the imageio client:
 * which thrown errors are network failures (retryable) and which are TLS failures (the user must act).
 */
import { errorCode } from './errors.js';

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

/** The first network or TLS error code along the `cause` chain, or undefined when there is none. */
export function transportCode(err: unknown): string | undefined {
  let e = err;
  for (let depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const code = errorCode(e);
    if (code !== undefined && (NETWORK_CODES.has(code) || TLS_CODE.test(code))) return code;
    e = 'cause' in e ? e.cause : undefined;
  }
  return undefined;
}

/** True when the code names a TLS handshake or certificate verification failure. */
export function isTlsCode(code: string): boolean {
  return TLS_CODE.test(code);
}
