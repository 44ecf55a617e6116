/** Reordering the queue by hand. Pure. */
import { isTerminal } from './states.js';

/** Where a job goes. */
export type MoveTo = 'up' | 'down' | 'top' | 'bottom';

/**
 * The jobs with `id` moved one place up or down among the unfinished jobs (finished ones keep their
 * places and are stepped over), or to the top or bottom of the queue.
 */
export function moveJob<J extends { readonly id: string; readonly state: Parameters<typeof isTerminal>[0] }>(jobs: readonly J[], id: string, to: MoveTo): J[] {
  const i = jobs.findIndex((j) => j.id === id);
  if (i < 0) return [...jobs];
  const job = jobs[i]!;
  const rest = jobs.filter((j) => j.id !== id);
  let at: number;
  if (to === 'top') at = 0;
  else if (to === 'bottom') at = rest.length;
  else if (to === 'up') {
    // Before the nearest unfinished job above (rest[k] for k < i is the job at k).
    let k = i - 1;
    while (k >= 0 && isTerminal(rest[k]!.state)) k--;
    at = Math.max(0, k);
  } else {
    // After the nearest unfinished job below (rest[k] for k >= i is the job at k + 1).
    let k = i;
    while (k < rest.length && isTerminal(rest[k]!.state)) k++;
    at = Math.min(rest.length, k + 1);
  }
  rest.splice(at, 0, job);
  return rest;
}
