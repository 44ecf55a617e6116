/**
 * 4.1 signed tickets (reference/imageio.md §2.2): the engine signs a small JSON document naming the
 * daemon ticket with the engine certificate's key; the legacy proxy checks the signature against that
 * certificate and the validity window. Because the signature is self-contained the engine and the
 * proxy share no state: wire the proxy with `signedTicketVerifier(cert)` (the personality's
 * `signedTicket` hook) and give the engine the matching key.
 */
import { createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { publishSecret } from '../secret-channel.js';

/** ImageTransferClientTicketValidityInSeconds. */
const SIGNED_TICKET_VALIDITY_S = 3600;
/** Clock skew the legacy proxy tolerated on validFrom/validTo. */
const ALLOWED_SKEW_S = 600;

interface SignedTicketData {
  'transfer-ticket': string;
  'imaged-uri': string;
  'transfer-id': string;
}

interface Envelope {
  salt: string;
  digest: 'sha256';
  validFrom: number;
  validTo: number;
  data: string;
  signedFields: string;
  signature: string;
}

const SIGNED_FIELDS = 'salt,validFrom,validTo,data';

function payload(e: Pick<Envelope, 'salt' | 'validFrom' | 'validTo' | 'data'>): Buffer {
  return Buffer.from(`${e.salt}${e.validFrom}${e.validTo}${e.data}`, 'utf8');
}

/** Issues the signed ticket for a transfer (base64 of a signed JSON envelope). */
export function issueSignedTicket(
  keyPem: string,
  o: { ticketId: string; daemonUrl: string; transferId: string; nowMs: number },
): string {
  const data: SignedTicketData = { 'transfer-ticket': o.ticketId, 'imaged-uri': o.daemonUrl, 'transfer-id': o.transferId };
  const base = {
    salt: randomBytes(12).toString('base64'),
    validFrom: Math.floor(o.nowMs / 1000),
    validTo: Math.floor(o.nowMs / 1000) + SIGNED_TICKET_VALIDITY_S,
    data: JSON.stringify(data),
  };
  const envelope: Envelope = {
    ...base,
    digest: 'sha256',
    signedFields: SIGNED_FIELDS,
    signature: sign('sha256', payload(base), keyPem).toString('base64'),
  };
  const ticket = Buffer.from(JSON.stringify(envelope), 'utf8').toString('base64');
  publishSecret('signed-ticket', ticket);
  return ticket;
}

/** True when `authorization` is a ticket signed by the key of `cert`, valid now, for `ticketId`. */
export function verifySignedTicket(cert: string | KeyObject, authorization: string | undefined, ticketId: string, nowMs: number): boolean {
  if (!authorization) return false;
  try {
    const e = JSON.parse(Buffer.from(authorization.trim(), 'base64').toString('utf8')) as Partial<Envelope>;
    if (typeof e.salt !== 'string' || typeof e.data !== 'string' || typeof e.signature !== 'string') return false;
    if (typeof e.validFrom !== 'number' || typeof e.validTo !== 'number' || e.signedFields !== SIGNED_FIELDS) return false;
    const key = typeof cert === 'string' ? createPublicKey(cert) : cert;
    const good = verify('sha256', payload({ salt: e.salt, validFrom: e.validFrom, validTo: e.validTo, data: e.data }), key, Buffer.from(e.signature, 'base64'));
    if (!good) return false;
    const now = nowMs / 1000;
    if (now < e.validFrom - ALLOWED_SKEW_S || now > e.validTo + ALLOWED_SKEW_S) return false;
    const data = JSON.parse(e.data) as Partial<SignedTicketData>;
    return data['transfer-ticket'] === ticketId;
  } catch {
    return false;
  }
}

/** The legacy proxy personality hook: `(authorization, ticketId) => valid`, checking against the engine certificate. */
export function signedTicketVerifier(certPem: string, now: () => number = Date.now): (authorization: string | undefined, ticketId: string) => boolean {
  const key = createPublicKey(certPem);
  return (authorization, ticketId) => verifySignedTicket(key, authorization, ticketId, now());
}
