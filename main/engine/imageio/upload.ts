import { DiskFerryError } from '../errors.js';
import type { ImageioConnection } from './connection.js';
import { CopyProgressCounter, type CopyProgress } from './copy-progress.js';
import type { PlannedRange } from './plan.js';
import { allocPieceBuffers, DEFAULT_PIECE_SIZE, type RangeSource } from './put-body.js';
import type { ImageioSession } from './session.js';
import { runWorkers, workerCount, WorkQueue } from './work-queue.js';

/**
 * What to do with zero ranges: `skip` them (the target is a new sparse disk, it already reads as
 * zeros), `patch` them with PATCH zero (falls back to put-zeros without the zero feature), or
 * `put-zeros`: send zero bytes (never read from the source).
 */
export type ZeroMode = 'skip' | 'patch' | 'put-zeros';

/** An upload of planned ranges. */
export interface UploadOptions {
  readonly session: ImageioSession;
  readonly source: RangeSource;
  readonly plan: readonly PlannedRange[];
  /** Requested workers (default 4); capped by max_writers and 8. */
  readonly workers?: number;
  readonly zeroMode: ZeroMode;
  /** Size of each worker's two reusable buffers (default DEFAULT_PIECE_SIZE, 1 MiB). */
  readonly pieceSize?: number;
  /** How many times a 5xx may make us resend everything since the last flush (default 3). */
  readonly maxReplays?: number;
  /**
   * Bytes written between flushes while the upload runs (default 128 MiB; 0: only the final flush).
   * The worker that crosses the mark flushes on its own connection while the others keep sending, so a
   * server that writes through its page cache stores the data as it comes instead of all at the end.
   */
  readonly flushEvery?: number;
  readonly onProgress?: (progress: CopyProgress) => void;
  /**
   * Called when the server acknowledged a range (or a zero range was skipped), for a resume journal.
   * The data may still be unflushed until uploadRanges returns; resume on the same ticket.
   */
  readonly onRangeDone?: (range: PlannedRange) => void;
  /**
   * Called with the ranges a flush made durable: those the server acknowledged before a PATCH flush
   * that succeeded (not after a 5xx meanwhile, which may have lost them); without the flush feature
   * each range as it is acknowledged (every PUT flushes); skipped zero ranges at once. What a resume
   * journal may keep after the process dies.
   */
  readonly onFlushed?: (ranges: readonly PlannedRange[]) => void;
  readonly signal: AbortSignal;
}

/** What an upload did. */
export interface CopyResult extends CopyProgress {
  readonly workers: number;
  /** Requests repeated by the connections (dropped connections, 5xx on idempotent requests). */
  readonly retries: number;
  /** Times everything since the last flush was sent again after a 5xx on PUT or flush. */
  readonly replays: number;
}

/** Bytes written between the flushes sent while an upload runs. */
export const DEFAULT_FLUSH_EVERY = 128 * 1024 * 1024;

function isServerError(err: unknown): err is DiskFerryError {
  return err instanceof DiskFerryError && err.code === 'server-error';
}

/**
 * Uploads the plan with N parallel keep-alive connections taking disjoint ranges from one queue,
 * then sends one PATCH flush. A 5xx on a PUT or on the flush means the server may have lost
 * unflushed data, so every range written since the last flush is queued again (read again from the
 * source), a bounded number of times.
 */
export async function uploadRanges(options: UploadOptions): Promise<CopyResult> {
  const { session, signal } = options;
  const features = session.features;
  const zeroMode: ZeroMode = options.zeroMode === 'patch' && !features.zero ? 'put-zeros' : options.zeroMode;
  const maxReplays = options.maxReplays ?? 3;
  const total = options.plan.reduce((sum, r) => sum + r.length, 0);
  const progress = new CopyProgressCounter(total, options.onProgress);
  const work = options.plan.filter((r) => !r.zero || zeroMode !== 'skip');
  // Skipped zero runs count as done at once, in one progress event.
  const skipped = options.plan.filter((r) => r.zero && zeroMode === 'skip');
  for (const r of skipped) {
    progress.complete(r, true);
    options.onRangeDone?.(r);
  }
  if (skipped.length > 0) {
    progress.emit();
    options.onFlushed?.(skipped);
  }

  const queue = new WorkQueue(work);
  const count = workerCount(options.workers, session.maxWriters, work.length);
  const connections: ImageioConnection[] = [];
  // With the flush feature each PUT skips its flush and one PATCH flush ends the upload; without it
  // the server flushes every PUT, so nothing stays unflushed.
  const flushParam = features.flush ? false : null;
  let sinceFlush = new Set<PlannedRange>();
  let replays = 0;
  const flushEvery = options.flushEvery ?? DEFAULT_FLUSH_EVERY;
  let unflushed = 0;
  let flushing = false;

  const replay = async (failed: PlannedRange | null, err: DiskFerryError, signal: AbortSignal) => {
    if (replays >= maxReplays) throw err;
    replays++;
    const redo = [...sinceFlush];
    if (failed && !sinceFlush.has(failed)) redo.push(failed);
    sinceFlush = new Set();
    for (const r of redo) progress.abandon(r);
    await session.backoff(replays, signal);
    queue.push(...redo);
  };

  /** A flush while the other workers keep sending; it covers the ranges acknowledged before it was sent. */
  const flushAlong = async (conn: ImageioConnection, workerSignal: AbortSignal) => {
    if (!features.flush || flushEvery <= 0 || unflushed < flushEvery || flushing) return;
    flushing = true;
    unflushed = 0;
    const set = sinceFlush;
    const flushed = [...set];
    try {
      await conn.flush(workerSignal);
      // After a replay (a 5xx elsewhere meanwhile) `sinceFlush` is a new set: its ranges were sent
      // again after this flush began, so this flush does not cover them.
      if (sinceFlush === set) {
        for (const r of flushed) set.delete(r);
        options.onFlushed?.(flushed);
      }
    } catch (err) {
      if (!isServerError(err)) throw err;
      await replay(null, err, workerSignal);
    } finally {
      flushing = false;
    }
  };

  const worker = async (index: number, workerSignal: AbortSignal) => {
    const conn = (connections[index] ??= session.connection());
    const buffers = allocPieceBuffers(options.pieceSize ?? DEFAULT_PIECE_SIZE);
    for (let range = await queue.take(); range; range = await queue.take()) {
      const r: PlannedRange = range;
      try {
        try {
          if (r.zero && zeroMode === 'patch') {
            // Without the flush feature no PATCH flush ends the upload, so each zero flushes itself.
            await conn.zero(r.start, r.length, workerSignal, !features.flush);
          } else {
            const source = r.zero ? null : options.source;
            const onSent = (n: number) => progress.piece(r, n, true);
            await conn.put(r.start, r.length, { source, buffers, flush: flushParam, onSent }, workerSignal);
          }
          if (features.flush) sinceFlush.add(r);
          progress.complete(r);
          options.onRangeDone?.(r);
          if (!features.flush) options.onFlushed?.([r]);
        } catch (err) {
          progress.abandon(r);
          if (!isServerError(err) || (r.zero && zeroMode === 'patch')) throw err;
          await replay(r, err, workerSignal);
          continue;
        }
        // Only data counts towards the next flush: zeroing a thin disk's empty areas changes little
        // metadata, and a flush every 128 MiB of them made an empty 100 GiB upload 120 flushes long
        // (each slowing the zeroing after it). The final flush covers the zeroed ranges too.
        if (!r.zero) unflushed += r.length;
        // Before queue.done(): a replay it causes must queue its ranges while this range still counts as taken.
        await flushAlong(conn, workerSignal);
      } finally {
        queue.done();
      }
    }
  };

  try {
    for (;;) {
      await runWorkers(count, queue, signal, worker);
      if (!features.flush || work.length === 0) break;
      const flushConn = connections[0] ?? session.connection();
      connections[0] = flushConn;
      const flushed = new Set(sinceFlush);
      try {
        await flushConn.flush(signal);
        for (const r of flushed) sinceFlush.delete(r);
        options.onFlushed?.([...flushed]);
        break;
      } catch (err) {
        if (!isServerError(err)) throw err;
        await replay(null, err, signal);
      }
    }
  } finally {
    await Promise.all(connections.map((c) => c.close()));
  }
  const retries = connections.reduce((sum, c) => sum + c.retries, 0);
  return { ...progress.snapshot(), workers: count, retries, replays };
}
