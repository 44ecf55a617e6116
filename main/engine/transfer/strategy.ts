import type { RangeSet } from '../../../shared/range-set.js';
import type { DiskFerryError } from '../errors.js';
import type { Verification } from '../image/verify.js';
import type { PlannedRange } from '../imageio/plan.js';
import type { ImageioSession } from '../imageio/session.js';
import type { Disk, EngineVersion, ImageTransfer } from '../ovirt/types.js';
import type { TransferControl } from './control.js';
import type { TransferDeps, TransferTuning } from './deps.js';
import type { ProgressTracker } from './progress-tracker.js';
import type { TransferReport } from './transfer-report.js';

/** What a run hands each step of its strategy: the ports, the controls and the progress of this run. */
export interface RunContext {
  readonly deps: TransferDeps;
  readonly control: TransferControl;
  readonly tuning: TransferTuning;
  readonly tracker: ProgressTracker;
  /** How long to wait for the engine at each step. */
  readonly timeoutMs: number;
  /** Awaited before `bytes` more data cross the network (TransferOptions.throttle); null: no limit. */
  readonly throttle: ((bytes: number, signal: AbortSignal) => Promise<void>) | null;
  /** Awaited the moment the engine holds a new object of this run (TransferOptions.onCreated). */
  created(ids: { readonly diskId: string; readonly transferId: string | null }): Promise<void>;
}

/** The disk a run moves data to or from, as `prepare` leaves it. */
export interface RunTarget {
  readonly disk: Disk;
  /** `raw` asks for the NBD backend (guest data, 4.3+); null for the FILE backend. */
  readonly transferFormat: 'raw' | null;
  /** A transfer an earlier run left on the engine, to continue instead of creating one. */
  readonly transfer: ImageTransfer | null;
  /** Transfer this point-in-time volume of the disk (a disk snapshot id) instead of the disk's active one. */
  readonly snapshotVolumeId?: string;
  /** Read the disk through this VM backup (`ready`): its point-in-time data, and dirty extents for an incremental one. */
  readonly backupId?: string;
}

/** An open transfer: the engine's ImageTransfer (`transferring`) and the data plane of its ticket. */
export interface DataSession {
  readonly transfer: ImageTransfer;
  readonly imageio: ImageioSession;
}

/** What the data phase must do: the planned ranges and the set of those already done (it grows as they are). */
export interface DataPlan {
  readonly ranges: readonly PlannedRange[];
  readonly done: RangeSet;
}

/** What a completed run gives back: the direction's own result fields and the lines of its report. */
export interface RunSummary<R> {
  readonly result: R;
  readonly report: Pick<TransferReport, 'source' | 'target' | 'localFormat' | 'virtualSize' | 'dataBytes'>;
}

/**
 * What differs between an upload and a download; `TransferRun` owns the rest of the lifecycle and
 * calls these steps in order, each once (`openData` again only after a refused ticket was recovered),
 * then `close` on every path. A step returns what the run needs next; none calls back into the run.
 */
export interface TransferStrategy<R> {
  readonly direction: 'upload' | 'download';
  /**
   * Whether a pause pauses the engine's transfer too. An upload's does (`paused_user` keeps the new
   * disk ours while nothing moves); a download's stays `transferring`, its ticket kept alive.
   */
  readonly pausesEngine: boolean;
  /** Local checks before the engine is asked anything (an unreadable image fails here). */
  inspect(ctx: RunContext): Promise<void>;
  /** Finds or creates the disk and decides how its data goes; may take minutes (disk creation). */
  prepare(ctx: RunContext, version: EngineVersion): Promise<RunTarget>;
  /**
   * Plans the data phase once the data plane is open. Its imageio requests come before any local
   * state is made, so the run may call it again after recovering a refused ticket.
   */
  openData(ctx: RunContext, session: DataSession): Promise<DataPlan>;
  /** Moves `remaining` (a part of the plan), marking ranges in the plan's `done`; `signal` aborts on pause and cancel. */
  move(ctx: RunContext, session: DataSession, remaining: readonly PlannedRange[], signal: AbortSignal): Promise<void>;
  /** After the data, before finalize: compares the checksums (or says why not); a mismatch throws. */
  verify(ctx: RunContext, session: DataSession): Promise<Verification>;
  /** After the engine finalized: the local end (the download's rename) and the result. */
  complete(ctx: RunContext): Promise<RunSummary<R>>;
  /**
   * After a failure, with the data plane closed: ends what this run left on the engine (`transferId`
   * null when no transfer was created) and returns the error to throw, saying what became of the disk.
   */
  abandon(ctx: RunContext, err: unknown, transferId: string | null): Promise<DiskFerryError>;
  /** Releases local resources (files); called on every path, last. */
  close(): Promise<void>;
}
