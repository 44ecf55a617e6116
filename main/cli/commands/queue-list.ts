import { reportCsv } from '../../engine/queue/report.js';
import { parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { isActive } from '../../engine/queue/states.js';
import { readQueue } from '../queue/jobs.js';
import { liveRunPid, queuePaths } from '../queue/ports.js';
import { jobJson, jobsTable, reportTable, shortId } from '../queue/output.js';

/** `diskferry queue list [--json]`: the jobs, read from the queue file (also while a run owns it). */
export async function runQueueList(ctx: CliContext, args: string[]): Promise<number> {
  const { values } = parseCommand(args, {});
  ctx.applyGlobals(values);
  const { jobs } = await readQueue();
  if (ctx.json) for (const j of jobs) ctx.io.stdout.write(JSON.stringify(jobJson(j)) + '\n');
  else ctx.io.stdout.write(jobs.length === 0 ? 'The queue is empty.\n' : jobsTable(jobs) + '\n');
  // Jobs the file says are moving while no run is there: a run was killed or the machine stopped.
  const cut = jobs.filter((j) => isActive(j.state)).length;
  if (!ctx.json && cut > 0 && (await liveRunPid(queuePaths())) === null)
    ctx.io.stdout.write(
      `No queue run is active: ${cut === 1 ? 'the job shown moving was cut short, and continues where it stopped' : `the ${cut} jobs shown moving were cut short, and continue where they stopped`} when diskferry queue run starts.\n`,
    );
  return 0;
}

/** `diskferry queue report [--csv] [--json] [--all]`: the last run's report, or all of them. */
export async function runQueueReport(ctx: CliContext, args: string[]): Promise<number> {
  const { values } = parseCommand(args, { csv: { type: 'boolean' }, all: { type: 'boolean' } });
  ctx.applyGlobals(values);
  const { reports } = await readQueue();
  const chosen = values.all ? reports : reports.slice(-1);
  if (chosen.length === 0) {
    ctx.io.stdout.write(ctx.json ? '' : 'No run report yet: reports are written when a queue run finishes.\n');
    return 0;
  }
  // One CSV: the rows of every report chosen under one header.
  if (values.csv) {
    ctx.io.stdout.write(reportCsv(chosen));
    return 0;
  }
  for (const r of chosen) {
    if (ctx.json) ctx.io.stdout.write(JSON.stringify(r) + '\n');
    else ctx.io.stdout.write(`Report ${shortId(r.id)} of ${new Date(r.createdAt).toLocaleString()}\n${reportTable(r)}\n`);
  }
  return 0;
}
