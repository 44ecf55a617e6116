/**
 * Maps what goes wrong talking to the engine to DiskFerryErrors whose messages say what happened and
 * what the user can do. Messages quote the engine's own fault text but never a secret.
 */
import { DiskFerryError, errorCode, errorMessage } from '../errors.js';
import { redact } from '../log.js';
import { parseFault, parseSsoError } from './schemas.js';
import { isTlsCode, transportCode } from '../net-errors.js';

/** What a request was for (in messages) and which strings must never appear in them. */
export interface RequestContext {
  /** e.g. "Creating the disk 'fedora.qcow2'". */
  readonly what: string;
  /** The engine host, e.g. "engine.example.com:443". */
  readonly where: string;
  /** Token, password: removed from any text that reaches a message. */
  readonly secrets: readonly string[];
}

/** True when the request stopped because its AbortSignal fired. */
export function isAbort(err: unknown): boolean {
  const code = errorCode(err);
  if (code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') return true;
  return typeof err === 'object' && err !== null && 'name' in err && err.name === 'AbortError';
}

/** The error for a request the caller aborted. */
export function cancelledError(what: string): DiskFerryError {
  return new DiskFerryError('cancelled', `${what} was cancelled.`, { retryable: false });
}

/**
 * A thrown transport error → `tls-untrusted` (the user must trust the engine CA), `network`
 * (retryable) or, for anything else, null (the caller decides).
 */
export function transportError(err: unknown, ctx: RequestContext): DiskFerryError | null {
  const code = transportCode(err);
  if (code === undefined) return null;
  const raw = redact(errorMessage(err), ctx.secrets);
  // The CA is trusted but the certificate names another host: trusting a CA again would not help.
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return new DiskFerryError(
      'tls-untrusted',
      `${ctx.what}: the certificate of the engine at ${ctx.where} is for another name (${raw}), so nothing was sent. ` +
        'Use the engine address exactly as its certificate names it (https://engine.example.com/ovirt-engine).',
      { cause: err, retryable: false },
    );
  if (isTlsCode(code))
    return new DiskFerryError(
      'tls-untrusted',
      `${ctx.what}: the engine's certificate at ${ctx.where} is not trusted (${code}: ${raw}). ` +
        "Trust the engine's CA: fetch it from the engine (check its fingerprint with your administrator), or give its CA file (--ca-file on the command line, the engine's settings in the window).",
      { cause: err, retryable: false },
    );
  return new DiskFerryError('network', `${ctx.what}: could not reach the engine at ${ctx.where} (${code}: ${raw}). Check the network and the engine address.`, {
    cause: err,
    retryable: true,
  });
}

/** Parses a body as JSON; undefined when it is not JSON. */
export function tryJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** "reason: detail" of an engine fault, cleaned of secrets; null when the body is no fault. */
function faultText(body: Buffer, secrets: readonly string[]): string | null {
  const fault = parseFault(tryJson(body));
  if (!fault) return null;
  const text = [fault.reason, fault.detail].filter((s): s is string => !!s).join(': ');
  // Engine faults are short; a huge one is not worth showing whole.
  return redact(text.length > 1000 ? `${text.slice(0, 1000)}…` : text, secrets);
}

/** An HTTP error answer of the REST API → a DiskFerryError (reference/engine.md §2.4). */
export function httpError(status: number, body: Buffer, ctx: RequestContext): DiskFerryError {
  const fault = faultText(body, ctx.secrets);
  const said = fault ? `: ${fault}` : '';
  const base = `${ctx.what} failed: the engine answered HTTP ${status}${said}`;
  // The engine's own words travel apart too, so the window can show them as the engine's beside its translation.
  const engine = fault !== null ? { engineText: fault } : {};
  if (status === 404)
    return new DiskFerryError('not-found', `${base}. The object does not exist (any more); refresh the list and try again.`, { status, retryable: false, ...engine });
  // The engine answers 409 for space problems too; "locked or busy" would send the user waiting in vain.
  if (status === 409 && fault !== null && /disk space|space low|low disk|not enough space|critical space/i.test(fault))
    return new DiskFerryError('domain-full', `${base}. The storage domain has too little free space: choose another one, or free space on it.`, { status, retryable: false, ...engine });
  // The active disk of a running VM cannot be transferred (reference/engine.md §4.1, DISK_PLUGGED_TO_NON_DOWN_VMS):
  // its own code, because waiting does not help (a lock ends by itself, a running VM does not).
  // A running VM's disks can be backed up while it runs instead (docs/backup.md).
  if (status === 409 && fault !== null && /non-Down VMs|PLUGGED_TO_NON_DOWN/i.test(fault)) {
    const vm = /non-Down VMs:\s*([^\],.]+)/.exec(fault)?.[1]?.trim() ?? 'VM';
    const backup = `diskferry backup ${/^[\w.-]+$/.test(vm) ? vm : `'${vm.replace(/'/g, '')}'`} --output DIR`;
    return new DiskFerryError('vm-running', `${base}. Shut the VM down (or detach the disk from it), then try again; or back it up while it runs: ${backup}.`, { status, retryable: false, ...engine });
  }
  // VmCommand.isVmDuringBackup: one backup at a time, and no snapshot or checkpoint change meanwhile.
  if (status === 409 && fault !== null && /during a backup operation/i.test(fault))
    return new DiskFerryError('conflict', `${base}. A backup of this VM is still running or ending; wait until it has ended (or finalize it), then try again.`, {
      status,
      retryable: false,
      ...engine,
    });
  // The engine's lock refusal: "Disk X is being transferred", "The following disks are locked: X".
  if (status === 409 && fault !== null && /being transferred|disks? (are|is) locked/i.test(fault))
    return new DiskFerryError(
      'conflict',
      `${base}. The disk is locked: an image transfer (perhaps a stuck one) or another operation holds it. See the transfers on this disk ('diskferry transfers', or "See transfers on this disk…" in the window), end a stuck one, then try again.`,
      { status, retryable: false, diskLocked: true, ...engine },
    );
  if (status === 409)
    return new DiskFerryError('conflict', `${base}. The disk or storage domain is locked, busy or not active; wait until the engine has finished with it (or activate the domain), then try again.`, { status, retryable: false, ...engine });
  if (status === 403)
    return new DiskFerryError('engine-fault', `${base}. Your user lacks the permission for this; ask your oVirt administrator.`, { status, retryable: false, ...engine });
  if (status === 429) return new DiskFerryError('server-error', `${base}. The engine is busy; DiskFerry tries again later.`, { status, retryable: true, ...engine });
  if (status >= 500 && fault === null)
    return new DiskFerryError('server-error', `${base}. The engine has a problem; try again later or check the engine's logs.`, { status, retryable: true, ...engine });
  if (status >= 500)
    // A 500 with a fault is the engine's verdict (e.g. illegal disks), not an outage: repeating it changes nothing.
    return new DiskFerryError('engine-fault', `${base}. Check the engine's events for details.`, { status, retryable: false, ...engine });
  if (fault !== null)
    return new DiskFerryError('engine-fault', `${base}. Change the request as the engine says, then try again.`, { status, retryable: false, ...engine });
  return new DiskFerryError('protocol', `${base} without an explanation. Check that the URL points at an oVirt engine.`, { status, retryable: false, ...engine });
}

/** A 3xx: never followed, because the Authorization header must not reach another place. */
export function redirectError(status: number, ctx: RequestContext): DiskFerryError {
  return new DiskFerryError(
    'protocol',
    `${ctx.what}: the engine at ${ctx.where} answered with a redirect (HTTP ${status}), which DiskFerry does not follow. ` +
      'Use the engine address exactly as the engine knows it (https://engine.example.com/ovirt-engine).',
    { status, retryable: false },
  );
}

/** An answer that should be JSON but is not (a login page, a proxy error page, garbage). */
export function notJsonError(status: number, contentType: string | undefined, ctx: RequestContext): DiskFerryError {
  // "application/json instead of JSON" would read as nonsense: say that the promised JSON is broken.
  const got = contentType && /json/i.test(contentType) ? `${contentType} that is not valid JSON` : `${contentType ?? 'no content type'} instead of JSON`;
  return new DiskFerryError(
    'protocol',
    `${ctx.what}: the engine at ${ctx.where} answered HTTP ${status} with ${got}. Check that the URL points at an oVirt engine (and not at a proxy or login portal in front of it).`,
    { status, retryable: false },
  );
}

/** An answer larger than any legitimate one. */
export function oversizedError(limit: number, ctx: RequestContext): DiskFerryError {
  const size = limit >= 1024 * 1024 ? `${Math.round(limit / 1024 / 1024)} MiB` : `${Math.ceil(limit / 1024)} KiB`;
  return new DiskFerryError(
    'protocol',
    `${ctx.what}: the answer of the engine at ${ctx.where} is larger than ${size}, which DiskFerry refuses. ` +
      'Check that the URL points at an oVirt engine (and not at a proxy or portal in front of it).',
    { retryable: false },
  );
}

/** A failed SSO login (HTTP 400 JSON in either shape) → `auth-failed` with the engine's message. */
export function ssoError(status: number, body: Buffer, ctx: RequestContext): DiskFerryError {
  const sso = parseSsoError(tryJson(body));
  if (status >= 500 && !sso)
    return new DiskFerryError('server-error', `${ctx.what} failed: the engine's login service answered HTTP ${status}. Try again later.`, { status, retryable: true });
  if (!sso) return new DiskFerryError('protocol', `${ctx.what} failed: the engine's login service answered HTTP ${status} without a usable error.`, { status, retryable: false });
  // The engine's texts end with one or two periods ("…is incorrect.."); ours follows in brackets.
  const message = redact(sso.message, ctx.secrets).replace(/\.+$/, '');
  const hint =
    sso.code === 'access_denied' || sso.code === 'invalid_grant'
      ? 'Check the user name (user@profile, e.g. admin@internal) and the password.'
      : 'Check the engine address and the user name (user@profile).';
  return new DiskFerryError('auth-failed', `${ctx.what} failed: ${message} (${sso.code}). ${hint}`, { status, retryable: false });
}
