/**
 * The narrow queue interface the app core needs. `LocalTransferQueue` implements it now; the engine's
 * TransferQueue (main/engine/queue/) plugs in through an adapter when it lands.
 */
import type { MoveTransferRequest } from '../../../shared/ipc.js';
import type { TransferProgress } from '../../../shared/model.js';
import type { TransferControl } from '../../engine/transfer/control.js';
import type { TransferRecord } from './record.js';

/** What a finished run reports back. */
export interface RunOutcome {
  /** The disk the upload created, or the disk downloaded. */
  readonly diskId: string;
  /** Where the download landed. */
  readonly localPath?: string;
}

/** Runs one attempt of a transfer with the engine code; rejects with a DiskFerryError. */
export type TransferRunner = (record: TransferRecord, control: TransferControl, onProgress: (p: TransferProgress) => void) => Promise<RunOutcome>;

/** The queue settings read at each decision. */
export interface QueueSettings {
  readonly maxConcurrent: number;
  readonly maxRetries: number;
  /** Local `HH:MM` window for `start: 'window'` jobs; null = always open. */
  readonly scheduleWindow: { readonly start: string; readonly end: string } | null;
}

/** The queue as the app core uses it. */
export interface TransferQueuePort {
  /** Restores persisted records (after a restart) and starts what may start. */
  load(): Promise<void>;
  /** Appends new records (state `queued`) and starts what may start. */
  add(records: readonly TransferRecord[]): void;
  pause(id: string): void;
  resume(id: string): void;
  /** A running upload is cancelled on the engine (which deletes its disk). */
  cancel(id: string): void;
  retry(id: string): void;
  remove(id: string): void;
  move(id: string, to: MoveTransferRequest['to']): void;
  get(id: string): TransferRecord;
  /** Queue order. */
  list(): readonly TransferRecord[];
  /** Called after every change; `urgent` for state changes, not for progress. */
  subscribe(listener: (urgent: boolean) => void): () => void;
  /** Re-reads the settings (after `settings:set`) and starts what may start. */
  settingsChanged(): void;
  /** Stops the runs (downloads keep their journal; uploads are cancelled) and saves. */
  close(): Promise<void>;
}
