import { parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { QUEUE_RUN_OPTIONS, runQueueUntilIdle } from '../queue/run.js';

/** `diskferry queue run [--window 22:00-06:00] [--limit 200MiB/s] [--concurrency N] …` */
export async function runQueueRun(ctx: CliContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, QUEUE_RUN_OPTIONS);
  ctx.applyGlobals(values);
  if (positionals.length > 0) {
    // `--window mon 01:00-02:00`: the shell split the window from its days.
    const times = positionals.find((p) => /^\d{1,2}:\d{2}-\d{1,2}:\d{2}$/.test(p));
    if (times !== undefined && values.window !== undefined)
      throw new UsageError(`A window with its days is one argument: quote it, as in --window '${[...values.window].pop() ?? ''} ${times}'.`);
    throw new UsageError(`'queue run' takes no arguments (got ${positionals.join(' ')}).`);
  }
  return runQueueUntilIdle(ctx, values);
}
