/**
 * The lifecycle TransferRun owns, against the simulator (engine 4.5), with a small strategy of the
 * test's own that reads a seeded disk into memory: the steps are called in order and once, the run
 * goes down and back (no step is called from another), the engine transfer is finalized, and on a
 * failure or a cancel during a pause the data plane is closed before `abandon` and `close` runs last.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RangeSet } from '../../../shared/range-set.js';
import type { TransferProgress } from '../../../shared/model.js';
import { DiskFerryError, asDiskFerryError } from '../../../main/engine/errors.js';
import { VERIFY_OFF } from '../../../main/engine/image/verify.js';
import { downloadRanges } from '../../../main/engine/imageio/download.js';
import { planRanges, planTotals, type PlannedRange } from '../../../main/engine/imageio/plan.js';
import type { Disk } from '../../../main/engine/ovirt/types.js';
import { TransferControl } from '../../../main/engine/transfer/control.js';
import type { DataPlan, DataSession, RunContext, RunSummary, RunTarget, TransferStrategy } from '../../../main/engine/transfer/strategy.js';
import { TransferRun } from '../../../main/engine/transfer/transfer-run.js';
import { seededDiskId, startHarness, TUNING, until, transferPhasesOf, type Harness } from '../../integration/helpers.js';

const SEEDED = 'web-01-disk1';

/** Reads the seeded disk into memory through the run, recording each step it is asked to do. */
class MemoryRead implements TransferStrategy<{ bytes: number }> {
  readonly direction = 'download';
  readonly steps: string[] = [];
  disk: Disk | null = null;
  transferId: string | null = null;
  imageioClosedAtAbandon: boolean | null = null;
  private session: DataSession | null = null;
  private done = new RangeSet();
  private bytes = 0;
  /** Data bytes of the plan: what the run must move in all, once. */
  planned = 0;

  constructor(
    private readonly h: Harness,
    readonly pausesEngine: boolean,
    private readonly failInMove: boolean,
  ) {}

  async inspect(): Promise<void> {
    this.steps.push('inspect');
  }

  async prepare(ctx: RunContext): Promise<RunTarget> {
    this.steps.push('prepare');
    this.disk = await ctx.deps.client.disk(seededDiskId(SEEDED));
    return { disk: this.disk!, transferFormat: 'raw', transfer: null };
  }

  async openData(ctx: RunContext, session: DataSession): Promise<DataPlan> {
    this.steps.push('openData');
    this.session = session;
    this.transferId = session.transfer.id;
    const ranges = planRanges(await session.imageio.extents(ctx.control.cancelSignal));
    this.planned = planTotals(ranges).dataBytes;
    return { ranges, done: this.done };
  }

  async move(ctx: RunContext, session: DataSession, remaining: readonly PlannedRange[], signal: AbortSignal): Promise<void> {
    this.steps.push('move');
    if (this.failInMove) throw new DiskFerryError('io', 'The test failed the data phase.', { retryable: false });
    await downloadRanges({
      session: session.imageio,
      plan: remaining,
      sink: {
        write: async (offset, data) => {
          this.bytes += data.length;
          this.done.add(offset, offset + data.length);
        },
      },
      workers: 1,
      signal,
      onProgress: ctx.tracker.passListener(this.done.size),
      onRangeDone: (r) => this.done.add(r.start, r.start + r.length),
    });
  }

  async verify(): Promise<typeof VERIFY_OFF> {
    this.steps.push('verify');
    return VERIFY_OFF;
  }

  async complete(): Promise<RunSummary<{ bytes: number }>> {
    this.steps.push('complete');
    const size = this.disk!.provisionedSize ?? 0;
    return { result: { bytes: this.bytes }, report: { source: SEEDED, target: 'memory', localFormat: 'raw', virtualSize: size, dataBytes: this.bytes } };
  }

  async abandon(_ctx: RunContext, err: unknown, transferId: string | null): Promise<DiskFerryError> {
    this.steps.push('abandon');
    this.transferId = transferId;
    // The data plane is closed before: a request on it now fails instead of reaching the server.
    this.imageioClosedAtAbandon = this.session ? await this.session.imageio.options(AbortSignal.timeout(5000)).then(() => false, () => true) : null;
    if (transferId) await this.h.client.finishTransfer(transferId, { diskId: this.disk!.id, direction: 'download', timeoutMs: 20_000 });
    return asDiskFerryError(err);
  }

  async close(): Promise<void> {
    this.steps.push('close');
  }
}

describe('TransferRun', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('4.5');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('calls each step once, in order, finalizes the engine transfer and returns the result with its report; runs once', async () => {
    const strategy = new MemoryRead(h, false, false);
    const states: TransferProgress['state'][] = [];
    const run = new TransferRun(h.deps, { tuning: TUNING, onProgress: (p) => states.push(p.state) });
    const r = await run.run(strategy);
    expect(strategy.steps).toEqual(['inspect', 'prepare', 'openData', 'move', 'verify', 'complete', 'close']);
    const second = new MemoryRead(h, false, false);
    await expect(run.run(second)).rejects.toMatchObject({ code: 'internal' }); // one attempt per run
    expect(second.steps).toEqual([]);
    expect(r.bytes).toBe(strategy.planned);
    expect(r.report).toMatchObject({ direction: 'download', outcome: 'completed', source: SEEDED, target: 'memory', dataBytes: r.bytes, verified: null });
    expect(r.bytesOnWire).toBeGreaterThanOrEqual(r.bytes);
    expect(states.filter((s, i) => s !== states[i - 1])).toEqual(['initializing', 'transferring', 'verifying', 'finalizing', 'completed']);
    expect(transferPhasesOf(h.sim, strategy.disk!.id)).not.toContain('transferring');
    expect(h.sim.engine.state.disks.get(strategy.disk!.id)?.status).toBe('ok');
  });

  it('on a failure closes the data plane, then abandons with the transfer it created, then closes', async () => {
    const strategy = new MemoryRead(h, false, true);
    const states: TransferProgress['state'][] = [];
    const err = await new TransferRun(h.deps, { tuning: TUNING, onProgress: (p) => states.push(p.state) }).run(strategy).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'io', message: 'The test failed the data phase.' });
    expect(strategy.steps).toEqual(['inspect', 'prepare', 'openData', 'move', 'abandon', 'close']);
    expect(strategy.transferId).not.toBeNull();
    expect(strategy.imageioClosedAtAbandon).toBe(true);
    expect(states.at(-1)).toBe('failed');
  });

  /** Starts a slow run of the strategy that pauses itself once data moves; resolves with the run's outcome. */
  function pausedRun(strategy: MemoryRead, control: TransferControl, states: TransferProgress['state'][]): Promise<unknown> {
    h.sim.faults.bandwidthBytesPerSecond = 4 * 1024 * 1024;
    let paused = false;
    return new TransferRun(h.deps, {
      control,
      tuning: TUNING,
      onProgress: (p) => {
        states.push(p.state);
        if (p.state === 'transferring' && p.bytesOnWire > 0 && !paused) {
          paused = true;
          control.pause();
        }
      },
    })
      .run(strategy)
      .catch((e: unknown) => e);
  }

  it('a pause that leaves the engine alone (a download) keeps the transfer transferring, and resume moves only what is left', async () => {
    const strategy = new MemoryRead(h, false, false);
    const control = new TransferControl();
    const states: TransferProgress['state'][] = [];
    const running = pausedRun(strategy, control, states);
    try {
      await until(() => states.includes('paused'), 10_000, 'the pause');
      await new Promise((r) => setTimeout(r, 300));
      expect(h.sim.engine.state.transfers.get(strategy.transferId!)?.phase).toBe('transferring');
    } finally {
      h.resetFaults();
      control.resume();
    }
    expect(await running).toMatchObject({ bytes: strategy.planned });
    expect(strategy.steps).toEqual(['inspect', 'prepare', 'openData', 'move', 'move', 'verify', 'complete', 'close']);
  });

  it('a cancel while paused ends the run: abandon, then close', async () => {
    const strategy = new MemoryRead(h, false, false);
    const control = new TransferControl();
    const states: TransferProgress['state'][] = [];
    const running = pausedRun(strategy, control, states);
    try {
      await until(() => states.includes('paused'), 10_000, 'the pause');
    } finally {
      h.resetFaults();
      control.cancel();
    }
    expect(await running).toMatchObject({ code: 'cancelled' });
    expect(strategy.steps).toEqual(['inspect', 'prepare', 'openData', 'move', 'abandon', 'close']);
    expect(states.at(-1)).toBe('cancelled');
    expect(h.sim.engine.state.disks.get(strategy.disk!.id)?.status).toBe('ok');
  });
});
