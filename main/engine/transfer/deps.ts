import type { Log } from '../log.js';
import type { Timers } from '../timers.js';
import type { TrustSettings } from '../trust/tls.js';
import type { TransferProgress } from '../../../shared/model.js';
import type { TransferControl } from './control.js';
import type { OvirtClient } from '../ovirt/client.js';
import type { FilePort } from '../fs/file-port.js';
import type { RangedGetDispatcher } from '../imageio/connection.js';
import type { SparseFiles } from '../os/sparse-files.js';

/** The ports a transfer runs with; built by a composition root (CLI, app, web host, tests). */
export interface TransferDeps {
  readonly client: OvirtClient;
  /** TLS trust for the imageio servers (the engine CA signs the hosts). */
  readonly trust: TrustSettings;
  readonly log: Log;
  readonly timers: Timers;
  readonly now: () => number;
  /** Where downloads write their partial file and journal; the real file system when absent. */
  readonly files?: FilePort;
  /** The OS's sparse files (marking, holes, what a folder's file system can hold); this OS's when absent. */
  readonly sparse?: SparseFiles;
  /**
   * Verification hashes on a worker thread (see hashThreadWanted): the thread that moves the data
   * then only decrypts and copies. Off when absent.
   */
  readonly hashThread?: boolean;
  /**
   * A verified download asks for the server's checksum while its data moves (see earlyChecksumWanted)
   * instead of after the last byte; false when absent. Only for runs that are never paused, and even
   * then an opt-in: imageio counts a finished checksum as the whole image read, and the engine ends a
   * download whose ticket has read everything and is then idle at two polls (reference/engine.md §4.5).
   */
  readonly earlyChecksum?: boolean;
  /** Which dispatcher carries a download's ranged GETs (see rangedGetDispatcherFrom); `socket` when absent. */
  readonly rangedGets?: RangedGetDispatcher;
  /**
   * The folder of upload journals (upload-journal.ts): with it an upload records what the server has
   * flushed, so an interrupted one can continue where it stopped; without it nothing is recorded.
   */
  readonly uploadJournals?: string;
  /**
   * The folder of pending snapshot records (backup/snapshot-pending.ts): a snapshot backup writes one
   * before it asks for the snapshot, so a later run removes a snapshot a killed run left. Without it
   * snapshot backups are refused.
   */
  readonly pendingSnapshots?: string;
}

/** Default time to wait for each engine step (phase steps take up to ~10 s; disk creation can take minutes). */
export const DEFAULT_ENGINE_TIMEOUT_MS = 5 * 60_000;

/** Tunables shared by uploads and downloads. */
export interface TransferTuning {
  /** Data connections per transfer (1–8, capped by the server). */
  readonly workers?: number;
  /** Seconds of idleness after which the engine pauses or cancels the transfer (0 disables). */
  readonly inactivityTimeout?: number;
  /** Go through the engine's imageio proxy first. */
  readonly preferProxy?: boolean;
  /** How long to wait for the engine at each step (disk creation, transfer start, finalize). */
  readonly engineTimeoutMs?: number;
  /**
   * Bytes an upload writes between flushes (default 128 MiB). Only flushed ranges enter the upload
   * journal, so this bounds what an interrupted upload sends again; smaller costs more flushes.
   */
  readonly flushEvery?: number;
}

/** What every transfer call takes besides its spec. */
export interface TransferOptions {
  /** Pause, resume and cancel from outside; a fresh one when absent. */
  readonly control?: TransferControl;
  readonly tuning?: TransferTuning;
  /** Coalesced progress snapshots; state changes arrive at once. */
  readonly onProgress?: (p: TransferProgress) => void;
  /**
   * Called, and awaited, the moment the engine has created the upload's disk (transferId null) and
   * the transfer: a queue persists the ids so that after a crash it can find what to resume or clean up.
   */
  readonly onCreated?: (ids: { readonly diskId: string; readonly transferId: string | null }) => Promise<void> | void;
  /**
   * Awaited just before the engine is asked to create the transfer: a record written here lets a
   * later run find (by its disk) a transfer whose id a kill during the request never brought back.
   */
  readonly beforeTransfer?: (diskId: string) => Promise<void> | void;
  /** Awaited before `bytes` more data cross the network: a bandwidth limit shared by several transfers. */
  readonly throttle?: (bytes: number, signal: AbortSignal) => Promise<void>;
}
