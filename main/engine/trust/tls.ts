import { rootCertificates, type ConnectionOptions } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { DiskFerryError } from '../errors.js';

/**
 * What a connection to one engine trusts. The CA certificates come from the engine's pki-resource
 * (accepted by the user after seeing the fingerprint) or from a file the user imported.
 */
export interface TrustSettings {
  /** PEM CA certificates to trust (engine CA, and optionally the Apache/third-party CA). */
  readonly caPem: readonly string[];
  /** Also trust the operating system's CAs (for a third-party Apache certificate). */
  readonly systemTrust?: boolean;
  /** SHA-256 fingerprints (`AA:BB:…`) the CA certificates must have; a mismatch stops the connection. */
  readonly pinnedFingerprints?: readonly string[];
  /** Skip verification entirely. Only the command line's explicit --insecure sets this. */
  readonly insecure?: boolean;
}

/** SHA-256 fingerprint of a PEM certificate, colon-separated upper-case hex. */
export function certificateFingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

/** Splits a PEM bundle into its certificates. */
export function splitPemBundle(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((c) => c + '\n') ?? [];
}

/**
 * TLS options for undici's `connect` (both the engine REST client and the imageio workers use them).
 * Throws `tls-untrusted` when a pinned fingerprint does not match the CA it is given.
 */
export function tlsConnectOptions(trust: TrustSettings): ConnectionOptions {
  if (trust.insecure) return { rejectUnauthorized: false, minVersion: 'TLSv1.2' };
  const cas = trust.caPem.flatMap(splitPemBundle);
  if (trust.pinnedFingerprints && trust.pinnedFingerprints.length > 0) {
    const actual = cas.map(certificateFingerprint);
    for (const pin of trust.pinnedFingerprints) {
      if (!actual.includes(pin.toUpperCase()))
        throw new DiskFerryError(
          'tls-untrusted',
          `The trusted CA certificate changed: expected fingerprint ${pin}, found ${actual.join(', ') || 'none'}. ` +
            'Check with your oVirt administrator, then trust the new certificate in the engine settings.',
        );
    }
  }
  return {
    ca: trust.systemTrust ? [...rootCertificates, ...cas] : cas,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  };
}

