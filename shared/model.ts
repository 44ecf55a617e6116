/**
 * Plain-data domain types shared by the engine, the CLI, the IPC contract and the UI. Readonly,
 * structured-clone safe, no classes, no Date (epoch ms). Unknown sizes are null.
 */

/** Which way the bytes go. */
export type TransferDirection = 'upload' | 'download';

/**
 * Client-side transfer states (architecture.md): queued → preparing → initializing → transferring →
 * verifying → finalizing → completed, with the side states waiting, paused, retrying, failed, cancelled.
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

/**
 * A progress snapshot of one transfer. The bar's whole is the guest image (data and holes); the
 * percentage, rate and time left count the data that moves (docs/architecture.md, "What the window shows").
 */
export interface TransferProgress {
  readonly state: TransferState;
  /** Guest bytes done, counting skipped zero runs (virtual progress, like ovirt-img). Never goes back in a run. */
  readonly bytesDone: number;
  /** Guest size of the image, null until known. */
  readonly bytesTotal: number | null;
  /** Bytes of data ranges done: `bytesDone` without the holes (zero runs skipped or zeroed at once). */
  readonly dataDone: number;
  /** Bytes in the image's data ranges, null until the data server described them. */
  readonly dataTotal: number | null;
  /** Bytes actually sent or received over the network. */
  readonly bytesOnWire: number;
  /** Bytes per second on the network, smoothed over a few seconds; null until measurable and whenever no data moves. */
  readonly rate: number | null;
  /** Seconds until the data left has moved at that rate, null when unknown. */
  readonly etaSeconds: number | null;
  /** Milliseconds since the transfer started. */
  readonly elapsedMs: number;
  /** Data-plane connections in use. */
  readonly connections: number;
  /** Whether the data goes through the engine's imageio proxy instead of the host. */
  readonly viaProxy: boolean | null;
}

/**
 * Bytes of holes in the image (zero runs skipped or zeroed at once, never sent): the whole minus the
 * data; null until both are known. The window's row, the CLI's --json progress and the queue's share it.
 */
export function holeBytes(p: { readonly bytesTotal: number | null; readonly dataTotal?: number | null | undefined }): number | null {
  return p.dataTotal != null && p.bytesTotal !== null ? Math.max(0, p.bytesTotal - p.dataTotal) : null;
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
