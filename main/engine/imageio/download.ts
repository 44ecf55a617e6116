import type { ImageioConnection } from './connection.js';
import { CopyProgressCounter, type CopyProgress } from './copy-progress.js';
import type { PlannedRange } from './plan.js';
import { allocPieceBuffers, DEFAULT_PIECE_SIZE } from './put-body.js';
import type { ImageioSession } from './session.js';
import type { CopyResult } from './upload.js';
import { runWorkers, workerCount, WorkQueue } from './work-queue.js';

/** Where a download writes: positional writes; `data` is only valid until the promise settles. */
export interface DownloadSink {
  write(offset: number, data: Buffer): Promise<void>;
}

/** A download of planned ranges (usually planRanges(await session.extents())). */
export interface DownloadOptions {
  readonly session: ImageioSession;
  readonly plan: readonly PlannedRange[];
  readonly sink: DownloadSink;
  /** Requested workers (default 4); capped by max_readers and 8. */
  readonly workers?: number;
  /** Size of each worker's two reusable buffers (default DEFAULT_PIECE_SIZE, 1 MiB). */
  readonly pieceSize?: number;
  readonly onProgress?: (progress: CopyProgress) => void;
  /** Called when a range is completely written (zero ranges are never written), for a resume journal. */
  readonly onRangeDone?: (range: PlannedRange) => void;
  readonly signal: AbortSignal;
}

/**
 * Downloads the data ranges of the plan with N parallel keep-alive connections; zero ranges are not
 * fetched and not written, so they stay holes in a sparse target. Each GET streams into the worker's
 * reusable buffers, which are written at their offsets.
 */
export async function downloadRanges(options: DownloadOptions): Promise<CopyResult> {
  const { session, signal, sink } = options;
  const total = options.plan.reduce((sum, r) => sum + r.length, 0);
  const progress = new CopyProgressCounter(total, options.onProgress);
  const work = options.plan.filter((r) => !r.zero);
  // Zero ranges are holes: done at once, in one progress event.
  for (const r of options.plan) if (r.zero) progress.complete(r, true);
  if (work.length < options.plan.length) progress.emit();

  const queue = new WorkQueue(work);
  const count = workerCount(options.workers, session.maxReaders, work.length);
  const connections: ImageioConnection[] = [];

  const worker = async (index: number, workerSignal: AbortSignal) => {
    const conn = (connections[index] ??= session.connection());
    const buffers = allocPieceBuffers(options.pieceSize ?? DEFAULT_PIECE_SIZE);
    for (let range = await queue.take(); range; range = await queue.take()) {
      const r: PlannedRange = range;
      try {
        await conn.get(
          r.start,
          r.length,
          buffers,
          async (offset, data) => {
            await sink.write(offset, data);
            progress.piece(r, data.length, true);
          },
          workerSignal,
        );
        progress.complete(r);
        options.onRangeDone?.(r);
      } finally {
        queue.done();
      }
    }
  };

  try {
    if (work.length > 0) await runWorkers(count, queue, signal, worker);
  } finally {
    await Promise.all(connections.map((c) => c.close()));
  }
  const retries = connections.reduce((sum, c) => sum + c.retries, 0);
  return { ...progress.snapshot(), workers: count, retries, replays: 0 };
}
