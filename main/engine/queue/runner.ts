/**
 * The port through which the queue runs one attempt of a job. `createEngineRunner` (engine-runner.ts)
 * is the real one; the app and the CLI build it with their own way of connecting to an engine.
 */
import type { TransferProgress } from '../../../shared/model.js';
import type { TransferControl } from '../transfer/control.js';
import type { JobResult, QueueJob } from './job.js';

/** What the queue hands to one run of a job. */
export interface RunContext {
  /** Pause, resume and cancel of this run (the queue also pauses it at the end of the window). */
  readonly control: TransferControl;
  /** The shared bandwidth limit: await before `bytes` more cross the network. */
  readonly throttle: (bytes: number, signal: AbortSignal) => Promise<void>;
  /** Progress snapshots of the transfer. */
  readonly onProgress: (p: TransferProgress) => void;
  /** Records engine objects of this job (null forgets one); resolves once the record is durable. */
  readonly remember: (ids: { readonly diskId?: string | null; readonly transferId?: string | null; readonly finishedResult?: JobResult }) => Promise<void>;
  /** Adds a line to the job's notes (shown in listings and kept in the record). */
  readonly note: (text: string) => void;
}

/** Runs jobs against an engine. */
export interface JobRunner {
  /** One attempt: resolves with the result, rejects with a DiskFerryError (its code decides retries). */
  run(job: QueueJob, ctx: RunContext): Promise<JobResult>;
  /**
   * Cleans up what an abandoned job left on the engine (a job cancelled or removed while it had no
   * run): an upload's disk and transfer, a download's open transfer. With `next` (the job sent to
   * another target), a download's partial file moves to the new file or is removed
   * (retarget-local.ts). Best effort; never throws.
   */
  discard(job: QueueJob, next?: QueueJob): Promise<void>;
}
