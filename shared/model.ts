/**
 * Plain-data domain types shared by the engine, the CLI, the IPC contract and the UI. Readonly,
 * structured-clone safe, no classes, no Date (epoch ms). Unknown sizes are null.
 */

/** Which way the bytes go. */
export type TransferDirection = 'upload' | 'download';

/**
 * Client-side transfer states (architecture.md): queued → preparing → initializing → transferring →
 * finalizing → verifying → completed, with the side states waiting, paused, retrying, failed, cancelled.
 */
export type TransferState =
  | 'queued'
  | 'waiting'
  | 'preparing'
  | 'initializing'
  | 'transferring'
  | 'paused'
  | 'retrying'
  | 'finalizing'
  | 'verifying'
  | 'completed'
  | 'failed'
  | 'cancelled';

/** A progress snapshot of one transfer. */
export interface TransferProgress {
  readonly state: TransferState;
  /** Guest bytes done, counting skipped zero runs (virtual progress, like ovirt-img). */
  readonly bytesDone: number;
  /** Guest size of the image, null until known. */
  readonly bytesTotal: number | null;
  /** Bytes actually sent or received over the network. */
  readonly bytesOnWire: number;
  /** Virtual bytes per second over the recent window, null until measurable. */
  readonly rate: number | null;
  /** Seconds left at the current rate, null when unknown. */
  readonly etaSeconds: number | null;
  /** Milliseconds since the transfer started. */
  readonly elapsedMs: number;
  /** Data-plane connections in use. */
  readonly connections: number;
  /** Whether the data goes through the engine's imageio proxy instead of the host. */
  readonly viaProxy: boolean | null;
}

/** Disk formats on oVirt storage. */
export type DiskFormat = 'raw' | 'cow';

/** Local file formats for downloads. */
export type OutputFormat = 'raw' | 'qcow2';

/** Real status of a storage domain (inside its data center), or `unattached`. */
export type StorageDomainStatus =
  | 'active'
  | 'inactive'
  | 'locked'
  | 'mixed'
  | 'unattached'
  | 'maintenance'
  | 'preparing_for_maintenance'
  | 'detaching'
  | 'activating'
  | 'unknown';
