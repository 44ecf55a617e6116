import type { ErrorCode, ErrorInfo, ErrorSubject } from '../../shared/errors.js';

/** Codes that are worth retrying without the user changing anything. */
const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set(['network', 'server-error', 'timeout', 'session-expired']);

/**
 * The one error type the engine throws. The message says what happened and what the user can do;
 * it never contains a secret (password, token, ticket id or ticket URL).
 */
export class DiskFerryError extends Error {
  override readonly name = 'DiskFerryError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** HTTP status behind the error, when there was one. */
  readonly status: number | undefined;
  /** The engine's own words, when it said any (already in `message` too, for logs and the CLI). */
  readonly engineText: string | undefined;
  /** The engine refused because the disk is locked (a transfer or another operation holds it). */
  readonly diskLocked: boolean;
  /** What the error is about (a disk, a domain, a file…), for sentences in other languages. */
  readonly subject: ErrorSubject | undefined;
  /** Bytes of space needed, when too little was free. */
  readonly needed: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean; status?: number; engineText?: string; diskLocked?: boolean; subject?: ErrorSubject; needed?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.status = options.status;
    this.engineText = options.engineText;
    this.diskLocked = options.diskLocked ?? false;
    this.subject = options.subject;
    this.needed = options.needed;
  }

  /** Plain data for the IPC bridge, reports and persistence. */
  toInfo(): ErrorInfo {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.engineText !== undefined ? { engineText: this.engineText } : {}),
      ...(this.diskLocked ? { diskLocked: true } : {}),
      ...(this.subject !== undefined ? { subject: this.subject } : {}),
      ...(this.needed !== undefined ? { needed: this.needed } : {}),
    };
  }
}

/** The message of anything thrown: an Error's message, else the value as text. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The string `code` of anything thrown (Node's `ENOENT`, undici's `UND_ERR_…`, a DiskFerryError's), if any. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/** Anything thrown as an Error (for APIs that take one): an Error as it is, else one whose cause it is. */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(errorMessage(err), { cause: err });
}

/** Turns anything thrown into a DiskFerryError (unknown errors become `internal`). */
export function asDiskFerryError(err: unknown): DiskFerryError {
  if (err instanceof DiskFerryError) return err;
  const code = errorCode(err);
  if (code === 'ENOSPC') return new DiskFerryError('disk-full', 'The local disk is full. Free some space, then resume the transfer.', { cause: err });
  const detail = err instanceof Error ? err.message : (code ?? '');
  if (code === 'EACCES' || code === 'EPERM') return new DiskFerryError('io', `Permission denied: ${detail}. Check the file and folder permissions.`, { cause: err });
  if (code !== undefined && /^E[A-Z]+$/.test(code)) return new DiskFerryError('io', `File system error: ${detail}`, { cause: err });
  return new DiskFerryError('internal', `Unexpected error: ${errorMessage(err)}`, { cause: err });
}
