/** `diskferry queue …`: add, list, run, report, remove, move and retry queued transfers. */
import { parseQueueDocument, JsonFileQueueStore, type QueueDocument } from '../../engine/queue/store.js';
import { reportCsv } from '../../engine/queue/report.js';
import { isTerminal } from '../../engine/queue/states.js';
import { parseCommand, parseInteger } from '../args.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { runQueueAdd } from './queue-add.js';
import { EngineConnections, openQueue } from '../queue/open.js';
import { jobJson, jobsTable, reportTable, shortId } from '../queue/output.js';
import { ensureNoRun, queuePaths } from '../queue/ports.js';
import { runQueueRun } from './queue-run.js';

/** Usage lines of the queue commands (for the CLI's help). */
export const QUEUE_USAGE = `  diskferry queue add upload FILE… --storage-domain NAME [--name N] [--disk-format raw|cow] [--preallocated] [--no-verify] [--priority N] [--now]
  diskferry queue add download DISK… --output DIR [--format raw|qcow2] [--no-verify] [--overwrite] [--priority N] [--now]
  diskferry queue list [--json]
  diskferry queue run [--window [DAYS] HH:MM-HH:MM]… [--limit RATE] [--window-limit RATE] [--concurrency N]
                      [--per-engine N] [--per-storage-domain N] [--retries N] [--retry-delay S] [--workers N] [--json]
  diskferry queue report [--csv] [--json] [--all]
  diskferry queue remove ID… | --finished
  diskferry queue move ID up|down|top|bottom
  diskferry queue priority ID N
  diskferry queue retry ID`;

/** Dispatches `diskferry queue SUBCOMMAND …`. */
export async function runQueue(ctx: CliContext, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add':
      return runQueueAdd(ctx, rest);
    case 'run':
      return runQueueRun(ctx, rest);
    case 'list':
      return runList(ctx, rest);
    case 'report':
      return runReport(ctx, rest);
    case 'remove':
    case 'move':
    case 'priority':
    case 'retry':
      return runChange(ctx, sub, rest);
    default:
      throw new UsageError(`Unknown queue command '${sub ?? ''}'. Use one of: add, list, run, report, remove, move, priority, retry.\n${QUEUE_USAGE}`);
  }
}

/** Reads the queue file without opening the queue (safe while a run owns it). */
async function readQueue(): Promise<QueueDocument> {
  const store = new JsonFileQueueStore(queuePaths().file);
  const doc = parseQueueDocument(await store.read());
  if (!doc) throw new UsageError(`${store.path} is not a DiskFerry queue file.`);
  return doc;
}

async function runList(ctx: CliContext, args: string[]): Promise<number> {
  const { values } = parseCommand(args, {});
  ctx.applyGlobals(values);
  const { jobs } = await readQueue();
  if (ctx.json) for (const j of jobs) ctx.io.stdout.write(JSON.stringify(jobJson(j)) + '\n');
  else ctx.io.stdout.write(jobs.length === 0 ? 'The queue is empty.\n' : jobsTable(jobs) + '\n');
  return 0;
}

async function runReport(ctx: CliContext, args: string[]): Promise<number> {
  const { values } = parseCommand(args, { csv: { type: 'boolean' }, all: { type: 'boolean' } });
  ctx.applyGlobals(values);
  const { reports } = await readQueue();
  const chosen = values.all ? reports : reports.slice(-1);
  if (chosen.length === 0) {
    ctx.io.stdout.write(ctx.json ? '' : 'No run report yet: reports are written when a queue run finishes.\n');
    return 0;
  }
  for (const r of chosen) {
    if (values.csv) ctx.io.stdout.write(reportCsv(r));
    else if (ctx.json) ctx.io.stdout.write(JSON.stringify(r) + '\n');
    else ctx.io.stdout.write(`Report ${shortId(r.id)} of ${new Date(r.createdAt).toLocaleString()}\n${reportTable(r)}\n`);
  }
  return 0;
}

async function runChange(ctx: CliContext, sub: 'remove' | 'move' | 'priority' | 'retry', args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, { finished: { type: 'boolean' } });
  ctx.applyGlobals(values);
  const paths = queuePaths();
  await ensureNoRun(paths, `${sub} jobs`);
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
      q.move(find(positionals[0]), to);
    } else if (sub === 'priority') {
      const p = parseInteger(positionals[1], 'The priority');
      if (p === undefined) throw new UsageError('Give the priority: diskferry queue priority ID N (higher runs first).');
      q.setPriority(find(positionals[0]), p);
    } else {
      q.retry(find(positionals[0]));
    }
  } finally {
    await q.close();
    await connections.close();
  }
  return 0;
}
