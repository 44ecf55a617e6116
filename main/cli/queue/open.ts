/** The CLI's composition root of the transfer queue: real store, runner, timers, power and report ports. */
import { createEngineRunner } from '../../engine/queue/engine-runner.js';
import type { QueueSettings } from '../../engine/queue/queue-types.js';
import { JsonFileQueueStore } from '../../engine/queue/store.js';
import { TransferQueue } from '../../engine/queue/transfer-queue.js';
import { realTimers } from '../../engine/timers.js';
import type { TransferDeps, TransferTuning } from '../../engine/transfer/deps.js';
import type { GlobalValues } from '../args.js';
import type { CliContext } from '../context.js';
import { createCliPower, queuePaths, reportFiles, terminalNotifications, type QueuePaths } from './ports.js';

/**
 * Connections to the engines jobs name, one login per engine, made when a job first needs it. A job
 * carries a profile name, or an engine URL (then the run's own --username and password options log in).
 * A failed login is not kept, so the next attempt tries again.
 */
export class EngineConnections {
  private readonly open = new Map<string, Promise<TransferDeps>>();

  constructor(
    private readonly ctx: CliContext,
    private readonly values: GlobalValues,
  ) {}

  /** The deps of one engine. */
  connect(engine: string): Promise<TransferDeps> {
    let p = this.open.get(engine);
    if (!p) {
      const values: GlobalValues = /^https?:\/\//i.test(engine) ? { ...this.values, engine } : { ...this.values, engine: undefined, profile: engine };
      p = this.ctx.connect(values);
      this.open.set(engine, p);
      p.catch(() => this.open.delete(engine));
    }
    return p;
  }

  /** Ends every engine connection (a session `login` kept stays open for the next command). */
  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((p) => p.then((d) => this.ctx.release(d.client), () => {})));
  }
}

/** Opens the CLI's queue (not started). */
export async function openQueue(
  ctx: CliContext,
  options: { connections?: EngineConnections; settings?: Partial<QueueSettings>; tuning?: TransferTuning },
  paths: QueuePaths = queuePaths(),
): Promise<TransferQueue> {
  const connections = options.connections ?? new EngineConnections(ctx, {});
  return TransferQueue.open(
    {
      store: new JsonFileQueueStore(paths.file),
      runner: createEngineRunner({ connect: (e) => connections.connect(e), ...(options.tuning ? { tuning: options.tuning } : {}) }),
      now: Date.now,
      timers: realTimers,
      log: ctx.log,
      power: createCliPower(ctx.log),
      notifications: terminalNotifications(ctx.quiet ? { write: () => true } as unknown as NodeJS.WritableStream : ctx.io.stderr),
      reports: reportFiles(paths, ctx.log),
    },
    options.settings ?? {},
  );
}
