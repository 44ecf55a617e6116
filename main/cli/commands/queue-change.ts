import { isTerminal } from '../../engine/queue/states.js';
import { parseCommand, parseInteger } from '../args.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { EngineConnections, openQueue } from '../queue/open.js';
import { shortId } from '../queue/output.js';
import { ensureNoRun, queuePaths } from '../queue/ports.js';

/** The queue commands that change jobs (only while no `queue run` owns the queue). */
export type QueueChange = 'remove' | 'move' | 'priority' | 'retry';

/** `diskferry queue remove ID… | --finished`, `queue move ID up|down|top|bottom`, `queue priority ID N`, `queue retry ID`. */
export async function runQueueChange(ctx: CliContext, sub: QueueChange, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, { finished: { type: 'boolean' } });
  ctx.applyGlobals(values);
  const paths = queuePaths();
  await ensureNoRun(paths, sub === 'priority' ? 'change priorities' : `${sub} jobs`);
  // Removing a job cleans up what it left on the engine: that logs in with these options.
  const connections = new EngineConnections(ctx, values);
  const q = await openQueue(ctx, { connections }, paths);
  try {
    const find = (prefix: string | undefined): string => {
      if (!prefix) throw new UsageError(`Name the job: diskferry queue ${sub} ID (see diskferry queue list).`);
      const hits = q.list().filter((j) => j.id === prefix || (prefix.length >= 4 && j.id.startsWith(prefix)));
      if (hits.length !== 1) throw new UsageError(hits.length === 0 ? `No job ${prefix} in the queue.` : `${prefix} matches ${hits.length} jobs; give more of the id.`);
      return hits[0]!.id;
    };
    if (sub === 'remove') {
      const ids = values.finished ? q.list().filter((j) => isTerminal(j.state)).map((j) => j.id) : positionals.map(find);
      if (ids.length === 0 && !values.finished) find(undefined);
      for (const id of ids) await q.remove(id);
      ctx.io.stdout.write(`Removed ${ids.length} job(s).\n`);
    } else if (sub === 'move') {
      const to = positionals[1];
      if (to !== 'up' && to !== 'down' && to !== 'top' && to !== 'bottom') throw new UsageError('Move a job up, down, top or bottom: diskferry queue move ID up.');
      const id = find(positionals[0]);
      q.move(id, to);
      ctx.result(`Moved ${shortId(id)} ${q.get(id).label} ${to === 'up' || to === 'down' ? to : `to the ${to}`}.`, { job: id, action: 'move', to });
    } else if (sub === 'priority') {
      const p = parseInteger(positionals[1], 'The priority');
      if (p === undefined) throw new UsageError('Give the priority: diskferry queue priority ID N (higher runs first).');
      const id = find(positionals[0]);
      q.setPriority(id, p);
      ctx.result(`${shortId(id)} ${q.get(id).label} now has priority ${p} (higher runs first).`, { job: id, action: 'priority', priority: p });
    } else {
      const id = find(positionals[0]);
      q.retry(id);
      ctx.result(`${shortId(id)} ${q.get(id).label} is queued again; diskferry queue run runs it.`, { job: id, action: 'retry', state: q.get(id).state });
    }
  } finally {
    await q.close();
    await connections.close();
  }
  return 0;
}
