/** Which jobs of a batch repeat work the queue already has, or an earlier job of the same batch. */
import { createJob, workKey, type NewJob, type QueueJob } from './job.js';
import { isTerminal } from './states.js';

/** What a job would repeat: an unfinished job in the queue, or an earlier one of the batch; null: nothing. */
export type Duplicate = { readonly reason: 'in-queue'; readonly jobId: string } | { readonly reason: 'in-batch'; readonly index: number } | null;

/** For each of `specs`, what it repeats among `jobs` (the queue's) and the specs before it. */
export function findDuplicates(jobs: readonly QueueJob[], specs: readonly NewJob[]): Duplicate[] {
  const pending = new Map(jobs.filter((j) => !isTerminal(j.state)).map((j) => [workKey(j), j.id]));
  const batch = new Map<string, number>();
  return specs.map((spec, i) => {
    const key = workKey(createJob(spec, spec.id ?? 'new', 0));
    const queued = pending.get(key);
    if (queued !== undefined) return { reason: 'in-queue', jobId: queued };
    const earlier = batch.get(key);
    if (earlier !== undefined) return { reason: 'in-batch', index: earlier };
    batch.set(key, i);
    return null;
  });
}
