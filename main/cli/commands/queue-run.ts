import { parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { QUEUE_RUN_OPTIONS, runQueueUntilIdle } from '../queue/run.js';

/** `diskferry queue run [--window 22:00-06:00] [--limit 200MiB/s] [--concurrency N] …` */
export async function runQueueRun(ctx: CliContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, QUEUE_RUN_OPTIONS);
  ctx.applyGlobals(values);
  if (positionals.length > 0) throw new UsageError(`'queue run' takes no arguments (got ${positionals.join(' ')}).`);
  return runQueueUntilIdle(ctx, values);
}
