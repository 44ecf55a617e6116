import { parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../errors.js';
import { applyControl, askRunningQueue, type ControlAction, type ControlResult } from '../queue/control.js';
import { readQueue } from '../queue/jobs.js';
import { EngineConnections, openQueue } from '../queue/open.js';
import { shortId } from '../queue/output.js';
import { acquireRunLock, liveRunPid, queuePaths } from '../queue/ports.js';

const DONE: Record<ControlAction, string> = { pause: 'Paused', resume: 'Resumed', cancel: 'Cancelled' };

/**
 * `diskferry queue pause|resume|cancel ID…`: a running `queue run` gets the request through its inbox
 * and answers it; with none, the queue file is changed under the run lock. Every id is checked before
 * anything changes; a job that cannot take the action now (a finished one, say) is reported and the
 * others go on (exit code 1).
 */
export async function runQueueControl(ctx: CliContext, action: ControlAction, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {});
  ctx.applyGlobals(values);
  if (positionals.length === 0) throw new UsageError(`Name the jobs: diskferry queue ${action} ID… (see diskferry queue list).`);
  const { jobs } = await readQueue();
  const ids = positionals.map((prefix) => {
    const hits = jobs.filter((j) => j.id === prefix || (prefix.length >= 4 && j.id.startsWith(prefix)));
    if (hits.length !== 1) throw new UsageError(hits.length === 0 ? `No job ${prefix} in the queue; nothing was changed.` : `${prefix} matches ${hits.length} jobs; give more of the id. Nothing was changed.`);
    return hits[0]!.id;
  });
  const paths = queuePaths();
  const pid = await liveRunPid(paths);
  let results: ControlResult[];
  if (pid !== null) {
    const answer = await askRunningQueue(paths, action, ids, ctx.signal);
    if (answer === null) throw new UsageError(`The running queue (process ${pid}) did not answer within 15 s; nothing was changed. Is it still running? See diskferry queue list.`);
    results = answer;
  } else {
    results = await changeQueueFile(ctx, values, action, ids);
  }
  const labels = new Map(jobs.map((j) => [j.id, j.label]));
  for (const r of results) {
    const name = labels.get(r.id) ?? '';
    if (!r.ok) {
      ctx.reportError(new UsageError(`${shortId(r.id)} ${name}: ${r.message ?? 'not possible now'}`), name);
      continue;
    }
    // A running job's cancel finishes when the run has cleaned up on the engine.
    const text = action === 'cancel' && r.state !== 'cancelled' ? `Cancelling ${shortId(r.id)} ${name}: the run stops it and cleans up on the engine.` : `${DONE[action]} ${shortId(r.id)} ${name} (now ${r.state}).`;
    ctx.result(text, { job: r.id, name, action, state: r.state, ...(pid !== null ? { running_queue: pid } : {}) });
  }
  // The queue file changed, but nothing moves until a run takes it (a run ends when nothing can start by itself).
  if (action === 'resume' && pid === null && results.some((r) => r.ok) && !ctx.json) ctx.io.stdout.write('No queue run is active: start one with diskferry queue run.\n');
  return results.every((r) => r.ok) ? EXIT_OK : EXIT_FAILED;
}

/** With no run: takes the run lock (so none starts meanwhile), changes the jobs, saves, lets go. */
async function changeQueueFile(ctx: CliContext, values: Parameters<CliContext['connect']>[0], action: ControlAction, ids: readonly string[]): Promise<ControlResult[]> {
  const paths = queuePaths();
  const release = await acquireRunLock(paths);
  // Cancelling a job cleans up what it left on the engine: that logs in with these options.
  const connections = new EngineConnections(ctx, values);
  try {
    const q = await openQueue(ctx, { connections }, paths);
    try {
      return applyControl(q, action, ids);
    } finally {
      await q.close();
    }
  } finally {
    await connections.close();
    await release();
  }
}
