/**
 * A JobRunner port for queue tests: each run waits until the test ends it (succeed / fail), so tests
 * decide when and how every attempt finishes, and can look at what the queue handed the run.
 */
import { DiskFerryError } from '../../../main/engine/errors.js';
import type { JobResult, QueueJob } from '../../../main/engine/queue/job.js';
import type { JobRunner, RunContext } from '../../../main/engine/queue/runner.js';

/** A run the test has not ended yet. */
export interface OpenRun {
  readonly job: QueueJob;
  readonly ctx: RunContext;
  succeed(result?: Partial<JobResult>): void;
  fail(err: DiskFerryError): void;
}

/** See the file comment. */
export class ScriptedRunner implements JobRunner {
  readonly open = new Map<string, OpenRun>();
  readonly started: string[] = [];
  readonly discarded: string[] = [];
  maxConcurrent = 0;

  run(job: QueueJob, ctx: RunContext): Promise<JobResult> {
    this.started.push(job.id);
    return new Promise<JobResult>((resolve, reject) => {
      const end = () => this.open.delete(job.id);
      this.open.set(job.id, {
        job,
        ctx,
        succeed: (r = {}) => {
          end();
          resolve({ diskId: 'disk', diskName: job.label, path: null, virtualSize: 100, dataBytes: 10, resumedBytes: 0, bytesOnWire: 10, digest: null, ...r });
        },
        fail: (err) => {
          end();
          reject(err);
        },
      });
      this.maxConcurrent = Math.max(this.maxConcurrent, this.open.size);
      // A cancelled run ends as the engine code does: with `cancelled` once cleaned up.
      ctx.control.cancelSignal.addEventListener('abort', () => this.open.get(job.id)?.fail(new DiskFerryError('cancelled', 'The transfer was cancelled.', { retryable: false })), {
        once: true,
      });
    });
  }

  discard(job: QueueJob): Promise<void> {
    this.discarded.push(job.id);
    return Promise.resolve();
  }

  /** The open run of a job (throws when it has none). */
  get(id: string): OpenRun {
    const r = this.open.get(id);
    if (!r) throw new Error(`job ${id} has no open run`);
    return r;
  }
}
