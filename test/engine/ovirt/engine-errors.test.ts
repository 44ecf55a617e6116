import { describe, expect, it } from 'vitest';
import { httpError, redirectError, ssoError, transportError, type RequestContext } from '../../../main/engine/ovirt/engine-errors.js';

const ctx: RequestContext = { what: "Creating the disk 'a'", where: 'engine:443', secrets: ['hunter2-password'] };
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const fault = (detail: string) => json({ reason: 'Operation Failed', detail });

describe('httpError', () => {
  it('quotes the engine fault for a 400 and says to change the request', () => {
    const e = httpError(400, fault('[Cannot add Virtual Disk. Disk configuration (COW Preallocated backup-None) is incompatible with the storage domain type.]'), ctx);
    expect(e).toMatchObject({ code: 'engine-fault', status: 400, retryable: false });
    expect(e.message).toContain('Disk configuration (COW Preallocated backup-None) is incompatible');
    expect(e.message).toContain("Creating the disk 'a' failed");
  });
  it('maps 409 to conflict, 404 to not-found, 403 to engine-fault', () => {
    expect(httpError(409, fault('[Cannot transfer Virtual Disk. Disk mydisk is being transferred.]'), ctx)).toMatchObject({ code: 'conflict', retryable: false });
    expect(httpError(404, Buffer.alloc(0), ctx).code).toBe('not-found');
    expect(httpError(403, fault('[User is not authorized to perform this action.]'), ctx).code).toBe('engine-fault');
  });
  it("marks the engine's lock refusal (a transfer or another operation holds the disk) and says where to look, and only that", () => {
    for (const detail of ['[Cannot transfer Virtual Disk. Disk mydisk is being transferred.]', '[Cannot remove Virtual Disk: The following disks are locked: mydisk. Please try again in a few minutes.]']) {
      const e = httpError(409, fault(detail), ctx);
      expect(e).toMatchObject({ code: 'conflict', retryable: false, diskLocked: true, engineText: `Operation Failed: ${detail}` });
      expect(e.message).toMatch(/The disk is locked: .*See the transfers on this disk/);
      expect(e.toInfo()).toMatchObject({ diskLocked: true });
    }
    const other = httpError(409, fault('[Cannot transfer Virtual Disk. Disk mydisk is plugged to non-Down VMs.]'), ctx);
    expect(other.diskLocked).toBe(false);
    expect(other.toInfo()).not.toHaveProperty('diskLocked');
  });
  it('gives a full domain and a running VM codes of their own, not the lock that a conflict is', () => {
    expect(httpError(409, fault('[Cannot add Virtual Disk. Low disk space on Storage Domain data-full.]'), ctx)).toMatchObject({ code: 'domain-full', retryable: false });
    const vm = httpError(409, fault('[Cannot transfer Virtual Disk. Disk d is plugged to one or more non-Down VMs: app-01.]'), ctx);
    expect(vm).toMatchObject({ code: 'vm-running', retryable: false });
    expect(vm.message).toMatch(/Shut the VM down.*or back it up while it runs: diskferry backup app-01 --output DIR/);
  });
  it('treats a 5xx without a fault as a retryable server error, a 500 fault as the engine verdict', () => {
    expect(httpError(503, Buffer.from('<html>Service Unavailable</html>'), ctx)).toMatchObject({ code: 'server-error', retryable: true });
    expect(httpError(500, fault('[Cannot transfer Virtual Disk: The following disks are illegal.]'), ctx)).toMatchObject({ code: 'engine-fault', retryable: false });
    expect(httpError(429, Buffer.alloc(0), ctx)).toMatchObject({ code: 'server-error', retryable: true });
  });
  it('removes secrets from the quoted fault text', () => {
    const e = httpError(400, fault('[bad password hunter2-password, Bearer abcdefgh]'), ctx);
    expect(e.message).not.toContain('hunter2-password');
    expect(e.message).not.toContain('abcdefgh');
  });
});

describe('ssoError', () => {
  it('gives auth-failed with the engine message for either error shape', () => {
    const a = ssoError(400, json({ error_code: 'access_denied', error: "Cannot authenticate user 'admin@internal': The username or password is incorrect.." }), ctx);
    expect(a).toMatchObject({ code: 'auth-failed', retryable: false });
    expect(a.message).toContain('The username or password is incorrect (access_denied). Check the user name');
    const b = ssoError(400, json({ error: 'invalid_request', error_description: "Missing parameter: 'Accept Header'" }), ctx);
    expect(b.code).toBe('auth-failed');
    expect(b.message).toContain("Missing parameter: 'Accept Header'");
  });
  it('never repeats the password even when the engine echoes it', () => {
    const e = ssoError(400, json({ error_code: 'access_denied', error: 'bad hunter2-password' }), ctx);
    expect(e.message).not.toContain('hunter2-password');
  });
  it('a non-JSON 502 from the login service is a retryable server error', () => {
    expect(ssoError(502, Buffer.from('<html/>'), ctx)).toMatchObject({ code: 'server-error', retryable: true });
  });
});

describe('transportError', () => {
  it('maps certificate failures to tls-untrusted with advice to trust the engine CA', () => {
    const err = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    const e = transportError(err, ctx);
    expect(e).toMatchObject({ code: 'tls-untrusted', retryable: false });
    expect(e?.message).toMatch(/Trust the engine's CA/);
  });
  it('finds the code along the cause chain and maps refused connections to network', () => {
    const err = new Error('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    expect(transportError(err, ctx)).toMatchObject({ code: 'network', retryable: true });
  });
  it('returns null for errors that are not transport failures', () => {
    expect(transportError(new TypeError('x is not a function'), ctx)).toBeNull();
  });
});

describe('redirectError', () => {
  it('is a protocol error that tells the user which address to use', () => {
    const e = redirectError(302, ctx);
    expect(e).toMatchObject({ code: 'protocol', status: 302 });
    expect(e.message).toMatch(/does not follow/);
  });
});
