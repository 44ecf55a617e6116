import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;

/** A PEM key and certificate, ready for https.createServer. */
export interface KeyPair {
  readonly key: string;
  readonly cert: string;
}

/** The simulator's PKI: an "engine CA" that signs the server certificates, generated at start. */
export interface SimPki {
  readonly caPem: string;
  /** SHA-256 fingerprint of the CA certificate, as `AA:BB:…`. */
  readonly caFingerprint: string;
  /** Certificate for localhost, 127.0.0.1 and ::1 (IP names, so either loopback works), signed by the CA. */
  readonly server: KeyPair;
  /** Issues another certificate from the same CA (for other names). */
  issue(names: { dns?: string[]; ips?: string[] }): Promise<KeyPair>;
}

async function keyToPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1');
}

/** SHA-256 fingerprint of a PEM certificate, colon-separated upper-case hex. */
export function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

/** Generates a fresh CA (ECDSA P-256) and a server certificate for the loopback names. */
export async function createPki(commonName = 'DiskFerry Simulator Engine CA'): Promise<SimPki> {
  const now = Date.now();
  const caKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}, O=DiskFerry Simulator`,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  async function issue(names: { dns?: string[]; ips?: string[] }): Promise<KeyPair> {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    const altNames = [
      ...(names.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
      ...(names.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
    ];
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${names.dns?.[0] ?? names.ips?.[0] ?? 'localhost'}, O=DiskFerry Simulator`,
      issuer: ca.subject,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 365 * DAY),
      signingKey: caKeys.privateKey,
      publicKey: keys.publicKey,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(altNames),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
      ],
    });
    return { key: await keyToPem(keys.privateKey), cert: cert.toString('pem') + '\n' };
  }

  const caPem = ca.toString('pem') + '\n';
  return {
    caPem,
    caFingerprint: fingerprintOf(caPem),
    server: await issue({ dns: ['localhost'], ips: ['127.0.0.1', '::1'] }),
    issue,
  };
}

