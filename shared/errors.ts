/** The closed set of error codes that cross every boundary (engine, CLI, IPC, UI). */
export const ERROR_CODES = [
  'bad-input', // a wrong argument, file or setting: the user must change something
  'unsupported-image', // the local file cannot be uploaded as it is (backing file, encrypted, corrupt, empty)
  'image-changed', // the local file changed while it was read
  'auth-failed', // wrong user name or password, or the SSO refused the login
  'session-expired', // the engine token stopped working and a new login failed
  'tls-untrusted', // the server certificate is not signed by the trusted CA, or its pin changed
  'network', // connection refused, reset, DNS, timeout
  'engine-fault', // the engine answered a fault (400/409/500) with its own message
  'not-found', // the engine does not know the object (disk, storage domain, transfer)
  'conflict', // the object is locked or busy (409)
  'domain-full', // the storage domain has too little free space for the disk: choose another one
  'vm-running', // the disk is plugged into a VM that is not down: shut it down first
  'ticket-gone', // imageio refused the ticket (403): expired, cancelled or removed
  'server-error', // a 5xx from imageio or the engine
  'protocol', // a broken or hostile answer: wrong length, bad JSON, wrong Content-Range, redirect
  'transfer-failed', // the engine ended the transfer in finished_failure
  'verification-failed', // checksums differ, or the engine's verification refused the volume
  'timeout', // the engine did not reach the expected phase in time
  'cancelled', // cancelled by the user
  'disk-full', // no space left on the local disk
  'io', // another local file-system error
  'internal', // a bug in DiskFerry
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** What kinds of thing an error can be about, named by the window in its language. */
export const ERROR_SUBJECT_KINDS = ['disk', 'domain', 'file', 'folder', 'transfer', 'vm', 'engine', 'job'] as const;

/** The thing an error is about: its kind and its name (a disk's, a domain's, a file's; never a secret). */
export interface ErrorSubject {
  readonly kind: (typeof ERROR_SUBJECT_KINDS)[number];
  readonly name: string;
}

/** Plain-data description of an error, safe to cross the IPC bridge and to persist. */
export interface ErrorInfo {
  readonly code: ErrorCode;
  /** Our sentence in English: what happened and what to do (the window translates by `code`). */
  readonly message: string;
  readonly retryable: boolean;
  /** The engine's own words (its fault's reason and detail), shown as the engine's beside our translated explanation. */
  readonly engineText?: string;
  /**
   * The engine refused because the disk is locked: an image transfer (maybe a stuck one) or another
   * operation holds it. The window offers the engine's transfers on that disk.
   */
  readonly diskLocked?: boolean;
  /** What the error is about, so that a translated sentence names it as the English one does. */
  readonly subject?: ErrorSubject;
  /** Bytes of space the action needs (a storage domain or a local folder too small), for the same reason. */
  readonly needed?: number;
}

/** The envelope every IPC call returns. */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorInfo };

/** Builds a successful Result. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Builds a failed Result. */
export function fail<T = never>(error: ErrorInfo): Result<T> {
  return { ok: false, error };
}
