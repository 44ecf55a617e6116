import { describe, expect, it } from 'vitest';
import { errorText, isTransportFailure, statusError, transportError } from '../../../main/engine/imageio/http-errors.js';
import { backoffDelay } from '../../../main/engine/imageio/retry.js';

const TICKET = '5b7c8f3e-1111-4222-8333-944455556666';
const ctx = { what: 'Uploading bytes 0-9', where: 'host:54322 (direct)', secrets: [TICKET] };

describe('imageio error mapping', () => {
  it('keeps the first 512 bytes of the text, trimmed, without the ticket id', () => {
    expect(errorText(Buffer.from(`You are not allowed to access this resource: No such ticket ${TICKET}\n`), [TICKET])).toBe(
      'You are not allowed to access this resource: No such ticket <redacted>',
    );
    expect(errorText(Buffer.from('x'.repeat(2000)), [])).toHaveLength(512);
  });

  it('maps 403 to ticket-gone, not retryable, with the server text', () => {
    const e = statusError(403, Buffer.from(`No such ticket ${TICKET}\n`), ctx);
    expect(e).toMatchObject({ code: 'ticket-gone', retryable: false, status: 403 });
    expect(e.message).toContain('No such ticket');
    expect(e.message).not.toContain(TICKET);
  });

  it('maps 400 and 416 to protocol and 5xx to retryable server-error', () => {
    expect(statusError(400, Buffer.alloc(0), ctx)).toMatchObject({ code: 'protocol', retryable: false });
    expect(statusError(416, Buffer.from('Requested range out of allowed range'), ctx)).toMatchObject({ code: 'protocol', retryable: false });
    expect(statusError(500, Buffer.from('Server failed to perform the request, check logs'), ctx)).toMatchObject({ code: 'server-error', retryable: true });
  });

  it('names the limit of a 416 from its Content-Range: bytes */N', () => {
    const e = statusError(416, Buffer.from('Requested range out of allowed range\n'), ctx, { 'content-range': 'bytes */1048576' });
    expect(e.message).toContain("has bytes below 1048576 only: the image on it is smaller than the transfer's size");
    expect(statusError(416, Buffer.alloc(0), ctx).message).not.toContain('has bytes below');
  });

  it('maps refused and reset connections to retryable network errors, and TLS failures to tls-untrusted', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(transportError(refused, ctx)).toMatchObject({ code: 'network', retryable: true });
    const tls = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(transportError(tls, ctx)).toMatchObject({ code: 'tls-untrusted', retryable: false });
    expect(isTransportFailure(new Error('plain bug'))).toBe(false);
    expect(transportError(new Error('plain bug'), ctx)).toBeNull();
  });

  it('backs off exponentially with jitter, capped, the first network retry being immediate', () => {
    const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, policy, () => 0.5, true)).toBe(0);
    expect(backoffDelay(1, policy, () => 0, false)).toBe(50);
    expect(backoffDelay(1, policy, () => 1, false)).toBe(100);
    expect(backoffDelay(3, policy, () => 1, false)).toBe(400);
    expect(backoffDelay(10, policy, () => 1, false)).toBe(1000);
  });
});
