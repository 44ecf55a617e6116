/**
 * The narrow queue interface the app core needs. `EngineQueueAdapter` (engine-queue-adapter.ts)
 * implements it with the engine's TransferQueue (main/engine/queue/).
 */
import type { MoveTransferRequest, TransferView } from '../../../shared/ipc.js';
import type { NewJob, QueueJob } from '../../engine/queue/job.js';
import type { RunReport } from '../../engine/queue/report.js';
import type { Retarget } from '../../engine/queue/retarget.js';
import type { TransferMeta } from './record.js';

/** One transfer to queue: the engine job (with its id) and the app's display fields. */
export interface NewTransfer {
  readonly job: NewJob & { readonly id: string };
  readonly meta: TransferMeta;
}

/** The queue as the app core uses it. Actions that do not apply now throw `conflict`; unknown ids `not-found`. */
export interface TransferQueuePort {
  /** Restores the persisted queue (recovering what ran when the app stopped) and starts it. */
  load(): Promise<void>;
  /** Appends transfers (state `queued`, or `waiting` outside the window) and starts what may start. */
  add(transfers: readonly NewTransfer[]): Promise<void>;
  /** Per job, what it would repeat (an unfinished job's id, or an earlier index of `jobs`); null when it is new work. */
  duplicates(jobs: readonly NewJob[]): readonly ({ readonly reason: 'in-queue'; readonly jobId: string } | { readonly reason: 'in-batch'; readonly index: number } | null)[];
  /** Sends a job that is not running elsewhere, with its new display fields (see TransferQueue.retarget). */
  retarget(id: string, target: Retarget, meta: TransferMeta): Promise<void>;
  /** The engine queue's job (what it moves where). */
  job(id: string): QueueJob;
  pause(id: string): void;
  resume(id: string): void;
  /** A running upload is cancelled on the engine (which deletes its disk); a download keeps its partial file. */
  cancel(id: string): void;
  retry(id: string): void;
  /** Only finished transfers; what a failed upload left on the engine is cleaned up. */
  remove(id: string): Promise<void>;
  move(id: string, to: MoveTransferRequest['to']): void;
  /** A transfer waiting for the schedule window starts now, and the window no longer holds it (a paused one resumes). */
  startNow(id: string): void;
  /** The queue's report (the CLI's) of the finished transfers, all or those named, in the list's order. */
  report(ids: readonly string[] | null): RunReport;
  get(id: string): TransferView;
  /** Queue order. */
  list(): readonly TransferView[];
  /** The engine queue's jobs themselves (their engine transfers and disks: whose an engine transfer is). */
  jobs(): readonly QueueJob[];
  /** Only the transfers that run now (preparing … verifying): cheap to ask on every change. */
  running(): readonly TransferView[];
  /** The bandwidth limit in force now (bytes per second), shared by every transfer; null = none. */
  bandwidthNow(): number | null;
  /** Called after changes (coalesced per tick); `urgent` for state changes, not for progress. */
  subscribe(listener: (urgent: boolean) => void): () => void;
  /** Re-reads the settings (after `settings:set`): limits, window, bandwidth and retries apply at once. */
  settingsChanged(): void;
  /** Stops the runs without losing anything (downloads keep their journal; uploads are paused on the engine) and saves. */
  close(): Promise<void>;
}
