import { isIP } from 'node:net';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { DiskFerryError } from '../errors.js';
import { transportCode } from '../net-errors.js';
import { certificateFingerprint, splitPemBundle, type TrustSettings } from './tls.js';
import { bareHost, noProxy, type ProxyResolver } from '../net/proxy.js';
import { openTunnel } from '../net/tunnel.js';

/** What a server presented, for the "the certificate changed" message (plain data). */
export interface PresentedCertificate {
  readonly subject: string;
  readonly issuer: string;
  readonly fingerprint: string;
  /** The names the certificate is valid for (`DNS:a, IP Address:b`), empty when it has none. */
  readonly names: string;
  /** Fingerprint of the issuing CA when the server sent it in its chain, else null. */
  readonly issuerFingerprint: string | null;
}

/**
 * Connects without verifying, only to read the certificate chain a server presents. Used after a
 * verification failure, to tell the user which certificate the server now shows; nothing is sent.
 */
export async function inspectPeerCertificate(url: string, timeoutMs = 10_000, proxy: ProxyResolver = noProxy): Promise<PresentedCertificate> {
  const u = new URL(url);
  const host = bareHost(u);
  const port = Number(u.port || 443);
  const via = await proxy(u);
  const tunnel = via ? await openTunnel(via, host, port, { timeoutMs }) : null;
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      ...(isIP(host) ? {} : { servername: host }),
      ...(tunnel ? { socket: tunnel } : {}),
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.once('timeout', () => fail(new Error('timed out reading the server certificate')));
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      const leaf = socket.getPeerCertificate(true);
      socket.end();
      if (!leaf || !leaf.fingerprint256) return fail(new Error('the server presented no certificate'));
      const issuerCert = leaf.issuerCertificate && leaf.issuerCertificate !== leaf ? leaf.issuerCertificate : null;
      resolve({
        subject: new X509Certificate(leaf.raw).subject.replace(/\n/g, ', '),
        issuer: new X509Certificate(leaf.raw).issuer.replace(/\n/g, ', '),
        fingerprint: leaf.fingerprint256,
        names: leaf.subjectaltname ?? '',
        issuerFingerprint: issuerCert?.fingerprint256 ?? null,
      });
    });
  });
}

/**
 * Turns a TLS verification failure into the message an administrator needs when a server's
 * certificate is not the one trusted: the trusted CA's fingerprint and what the server presents now.
 */
export async function explainUntrustedServer(url: string, trust: TrustSettings, original: DiskFerryError, proxy: ProxyResolver = noProxy): Promise<DiskFerryError> {
  let presented: PresentedCertificate;
  try {
    presented = await inspectPeerCertificate(url, 10_000, proxy);
  } catch {
    return original;
  }
  const trusted = trust.caPem.flatMap(splitPemBundle).map(certificateFingerprint);
  const host = new URL(url).host;
  // A trusted CA signed it, but for another host: "the CA did not sign it" would send the admin hunting for the wrong problem.
  if (transportCode(original) === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return new DiskFerryError(
      'tls-untrusted',
      `The server at ${host} presents a certificate for another name (${presented.names || presented.subject}), so DiskFerry stopped before sending anything. ` +
        `The server's certificate: ${presented.fingerprint} (${presented.subject}), issued by ${presented.issuer}. ` +
        'Use the engine address exactly as its certificate names it (https://engine.example.com/ovirt-engine); if that is not the engine you meant, do not continue.',
      { cause: original, retryable: false },
    );
  return new DiskFerryError(
    'tls-untrusted',
    `The server at ${host} presents a certificate that the trusted CA did not sign, so DiskFerry stopped before sending anything. ` +
      `Trusted CA: ${trusted.join(', ') || 'none'}. The server's certificate: ${presented.fingerprint} (${presented.subject}), issued by ${presented.issuer}` +
      `${presented.issuerFingerprint ? ` (CA ${presented.issuerFingerprint})` : ''}. ` +
      'If your administrator replaced the engine certificate, check the new fingerprint with them and trust it again (diskferry login); otherwise do not continue.',
    { cause: original, retryable: false },
  );
}
