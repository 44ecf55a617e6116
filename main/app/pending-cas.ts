/**
 * Engine CAs fetched for the user to compare, kept by fingerprint until accepted (trust on first
 * use): one is taken only by the fingerprint the user saw, and only for ten minutes.
 */
import { DiskFerryError } from '../engine/errors.js';
import { parseCaPem } from '../engine/trust/engine-ca.js';
import { normalizeFingerprint } from './engine-profiles.js';

/** A fetched CA waits this long for the user to accept it. */
const PENDING_CA_MS = 10 * 60_000;

interface PendingCa {
  readonly pem: string;
  readonly subject: string;
  readonly engineUrl: string;
  readonly at: number;
}

/** See the file comment. */
export class PendingCas {
  private readonly cas = new Map<string, PendingCa>();

  constructor(private readonly now: () => number) {}

  /** Keeps a fetched CA under its fingerprint. */
  keep(fingerprint: string, ca: { readonly pem: string; readonly subject: string; readonly engineUrl: string }): void {
    this.prune();
    this.cas.set(normalizeFingerprint(fingerprint), { ...ca, at: this.now() });
  }

  /** The CA fetched with this fingerprint in the last ten minutes, its fingerprint computed again from its PEM. */
  take(fingerprint: string): PendingCa & { fingerprint: string } {
    this.prune();
    const ca = this.cas.get(normalizeFingerprint(fingerprint));
    if (!ca) throw new DiskFerryError('bad-input', 'That certificate was not fetched in the last 10 minutes. Fetch the engine certificate again and compare its fingerprint.', { retryable: false });
    return { ...ca, fingerprint: parseCaPem(ca.pem, ca.engineUrl).fingerprint };
  }

  private prune(): void {
    const now = this.now();
    for (const [k, v] of this.cas) if (now - v.at > PENDING_CA_MS) this.cas.delete(k);
  }
}
