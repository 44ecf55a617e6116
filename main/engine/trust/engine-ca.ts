/**
 * Downloads the engine CA from the pki-resource servlet (reference/engine.md §1.5) so the user can
 * compare its fingerprint and trust it (trust on first use). This is the one request in DiskFerry
 * whose TLS certificate is not verified: its only product is a certificate shown with its
 * fingerprint, and nothing is trusted until the user accepts that fingerprint.
 */
import { X509Certificate } from 'node:crypto';
import { Agent, type Dispatcher } from 'undici';
import { DiskFerryError } from '../errors.js';
import type { RequestContext } from '../ovirt/engine-errors.js';
import { redirectError } from '../ovirt/engine-errors.js';
import { exchange } from '../ovirt/transport.js';
import { engineBaseUrl, joinUrl } from '../ovirt/urls.js';
import { certificateFingerprint, splitPemBundle } from './tls.js';
import type { ProxyResolver } from '../net/proxy.js';
import { routedConnector } from '../net/connectors.js';

/** The engine CA as downloaded, with what the user needs to decide whether to trust it. */
export interface EngineCa {
  /** The PEM certificate (one certificate, newline-terminated). */
  readonly pem: string;
  /** SHA-256 fingerprint, `AA:BB:…`. */
  readonly fingerprint: string;
  /** Subject on one line, e.g. `C=US, O=example.com, CN=engine.example.com.12345`. */
  readonly subject: string;
  /** End of validity, epoch ms. */
  readonly notAfter: number;
}

/** A CA certificate is a few KiB; anything near this is not one. */
const MAX_CA_BYTES = 256 * 1024;

/** The servlet path and parameters of the engine CA in PEM. */
const PKI_RESOURCE_PATH = '/services/pki-resource';

/**
 * GETs the engine CA (no authentication) over a connection that does not verify the server, and
 * refuses anything that is not a PEM CA certificate. `http://` engine addresses are accepted here
 * because the fingerprint, not the channel, is what the user checks.
 */
export async function fetchEngineCa(
  engineUrl: string,
  options: { dispatcher?: Dispatcher; signal?: AbortSignal; timeoutMs?: number; proxy?: ProxyResolver } = {},
): Promise<EngineCa> {
  const base = engineBaseUrl(engineUrl, { allowHttp: true });
  const url = joinUrl(base, PKI_RESOURCE_PATH, { resource: 'ca-certificate', format: 'X509-PEM-CA' });
  const ctx: RequestContext = { what: "Downloading the engine's CA certificate", where: base.host, secrets: [] };
  const timeoutMs = options.timeoutMs ?? 30_000;
  // Verification is off on purpose (see the file comment); the Agent lives only for this request.
  const connectMs = Math.min(timeoutMs, 10_000);
  const unverified = { rejectUnauthorized: false };
  const own = options.dispatcher
    ? null
    : new Agent({ connect: options.proxy ? routedConnector(unverified, options.proxy, connectMs) : { ...unverified, timeout: connectMs } });
  try {
    const res = await exchange(
      options.dispatcher ?? own!,
      { method: 'GET', url, headers: { accept: '*/*' }, signal: options.signal ?? new AbortController().signal, timeoutMs, maxBytes: MAX_CA_BYTES },
      ctx,
    );
    if (res.status >= 300 && res.status < 400) throw redirectError(res.status, ctx);
    if (res.status !== 200)
      throw new DiskFerryError(
        res.status >= 500 ? 'server-error' : 'protocol',
        `${ctx.what} from ${base.host} failed: HTTP ${res.status}. Check the engine address, or import the CA file from your administrator.`,
        { status: res.status },
      );
    return parseCaPem(res.body.toString('utf8'), base.host);
  } finally {
    if (own) await own.close().catch(() => own.destroy());
  }
}

/** Checks that `text` is one PEM CA certificate and describes it; `protocol` otherwise. */
export function parseCaPem(text: string, where: string): EngineCa {
  const refuse = (why: string, cause?: unknown) =>
    new DiskFerryError('protocol', `${where} did not answer with a CA certificate (${why}). Check the engine address, or import the CA file from your administrator.`, {
      retryable: false,
      cause,
    });
  const pem = splitPemBundle(text)[0];
  if (!pem) throw refuse('no PEM certificate in the answer');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (err) {
    throw refuse('the PEM block is not a valid certificate', err);
  }
  // A leaf certificate would make a useless (or misleading) trust anchor.
  if (!cert.ca) throw refuse('the certificate is not a CA certificate');
  const notAfter = Date.parse(cert.validTo);
  if (!Number.isFinite(notAfter)) throw refuse('the certificate has no readable expiry date');
  return { pem, fingerprint: certificateFingerprint(pem), subject: cert.subject.split('\n').join(', '), notAfter };
}
