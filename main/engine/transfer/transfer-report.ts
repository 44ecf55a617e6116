import type { ErrorInfo } from '../../../shared/errors.js';
import type { Verification } from '../image/verify.js';

/**
 * The record of one finished transfer, plain JSON for a queue's report: what went where, how much,
 * how long, the checksum and whether the server confirmed it.
 */
export interface TransferReport {
  readonly direction: 'upload' | 'download';
  readonly outcome: 'completed' | 'failed' | 'cancelled';
  /** The local file (upload) or the disk as `name (id)` (download). */
  readonly source: string;
  /** The disk as `name (id)` on its storage domain (upload) or the local file (download). */
  readonly target: string;
  /** Format of the local file: what was read (upload) or written (download). */
  readonly localFormat: 'raw' | 'qcow2' | 'iso';
  readonly virtualSize: number;
  readonly dataBytes: number;
  readonly bytesOnWire: number;
  readonly checksum: {
    readonly algorithm: string;
    readonly blockSize: number;
    readonly local: string | null;
    readonly server: string | null;
  };
  readonly verified: boolean | null;
  readonly verification: string;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly elapsedMs: number;
  readonly dataPhaseMs: number;
  readonly viaProxy: boolean;
  readonly error: ErrorInfo | null;
}

/** Builds a report from what a transfer knows at its end. */
export function transferReport(
  parts: Omit<TransferReport, 'checksum' | 'verified' | 'verification' | 'error'> & { readonly verification: Verification; readonly error?: ErrorInfo | null },
): TransferReport {
  const { verification: v, error, ...rest } = parts;
  return {
    ...rest,
    checksum: { algorithm: v.algorithm, blockSize: v.blockSize, local: v.digest, server: v.serverDigest },
    verified: v.verified,
    verification: v.note,
    error: error ?? null,
  };
}

/** The fields both directions' results share at the end of a completed run, report included. */
export interface CompletedRun {
  readonly bytesOnWire: number;
  readonly elapsedMs: number;
  /** Time spent moving data, without disk creation and finalize. */
  readonly dataPhaseMs: number;
  readonly viaProxy: boolean;
  /** The blkhash of the data moved; null when not computed. */
  readonly digest: string | null;
  /** true: the server's checksum matched; null: not compared (`verification` says why). */
  readonly verified: boolean | null;
  readonly verification: string;
  readonly report: TransferReport;
}

/** The shared result fields and the report of a completed transfer. */
export function completedRun(parts: Omit<Parameters<typeof transferReport>[0], 'outcome' | 'error'>): CompletedRun {
  const v = parts.verification;
  return {
    bytesOnWire: parts.bytesOnWire,
    elapsedMs: parts.elapsedMs,
    dataPhaseMs: parts.dataPhaseMs,
    viaProxy: parts.viaProxy,
    digest: v.digest,
    verified: v.verified,
    verification: v.note,
    report: transferReport({ ...parts, outcome: 'completed' }),
  };
}
