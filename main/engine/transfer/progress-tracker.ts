import type { TransferProgress, TransferState } from '../../../shared/model.js';
import { RateMeter } from './rate-meter.js';

/** Clock port: epoch ms. */
export type Now = () => number;

/** What one pass of the data phase reports: its own counts, from zero. */
export interface PassCounts {
  readonly bytesDone: number;
  readonly bytesOnWire: number;
  /** The part of `bytesDone` in data ranges; absent: the pass does not tell data from holes. */
  readonly dataDone?: number;
}

/**
 * Accumulates progress of one transfer and emits coalesced snapshots: at most one per
 * `intervalMs`, except state changes, which are emitted at once.
 *
 * What each figure measures (the window, the CLI and the report use them alike):
 * - `bytesDone` / `bytesTotal`: the guest image, data and holes; the bar's whole.
 * - `dataDone` / `dataTotal`: the data ranges, the bytes that must cross the network; the
 *   percentage and the time left follow them, and the holes (skipped or zeroed at once) are the rest.
 * - `rate`: bytes on the wire per second (resends included: what the network and a bandwidth
 *   limit see), smoothed by `RateMeter`, only while `transferring`; null in every other state.
 * - `etaSeconds`: the data still to move at that rate.
 * None of the counts goes back within a run: a pass after a pause starts from the ranges done,
 * which may be less than what was reported (a range cut short is sent again), and is held at the high mark.
 */
export class ProgressTracker {
  private state: TransferState = 'preparing';
  private bytesDone = 0;
  private dataDone = 0;
  private dataTotal: number | null = null;
  private dataBefore = 0;
  private bytesOnWire = 0;
  private bytesTotal: number | null = null;
  private connections = 0;
  private viaProxy: boolean | null = null;
  private readonly startedAt: number;
  private lastEmit = -Infinity;
  private readonly meter: RateMeter;
  private transferStartedAt: number | null = null;
  private transferMs = 0;

  constructor(
    private readonly now: Now,
    private readonly emit: (p: TransferProgress) => void,
    private readonly intervalMs = 250,
  ) {
    this.startedAt = now();
    this.meter = new RateMeter(now);
  }

  /** Sets the guest size once known. */
  setTotal(total: number | null): void {
    this.bytesTotal = total;
  }

  /**
   * Sets the data of the plan before a pass: `total` bytes in data ranges, `done` of them already
   * there (an earlier pass, an earlier run's journal). The next pass listener counts from `done`.
   */
  setData(total: number, done: number): void {
    this.dataTotal = total;
    this.dataBefore = done;
    this.dataDone = Math.max(this.dataDone, Math.min(done, total));
  }

  /** Sets the data-plane details shown to the user. */
  setConnection(connections: number, viaProxy: boolean | null): void {
    this.connections = connections;
    this.viaProxy = viaProxy;
  }

  /** Changes the state and emits immediately. */
  setState(state: TransferState): void {
    if (state === this.state) return;
    const t = this.now();
    if (this.state === 'transferring' && this.transferStartedAt !== null) this.transferMs += t - this.transferStartedAt;
    this.transferStartedAt = state === 'transferring' ? t : null;
    this.state = state;
    // Each stretch of moving data is measured on its own: a pause or a ticket recovery is not a slow second.
    if (state === 'transferring') this.meter.restart(this.bytesOnWire);
    this.flush();
  }

  /** Milliseconds spent moving data (in `transferring`), for throughput figures. */
  get dataPhaseMs(): number {
    return this.transferMs + (this.transferStartedAt === null ? 0 : this.now() - this.transferStartedAt);
  }

  /** Current state. */
  get current(): TransferState {
    return this.state;
  }

  /** Restores counters (resumed downloads start from what the journal holds). */
  setDone(bytesDone: number): void {
    this.bytesDone = Math.max(this.bytesDone, bytesDone);
  }

  /** Sets the absolute counters (virtual bytes done, bytes on the wire, data bytes done) and emits if due. */
  update(bytesDone: number, bytesOnWire: number, dataDone?: number): void {
    this.bytesDone = Math.max(this.bytesDone, bytesDone);
    this.bytesOnWire = Math.max(this.bytesOnWire, bytesOnWire);
    if (dataDone !== undefined) this.dataDone = Math.max(this.dataDone, this.dataTotal === null ? dataDone : Math.min(dataDone, this.dataTotal));
    this.meter.sample(this.bytesOnWire);
    if (this.now() - this.lastEmit >= this.intervalMs) this.flush();
  }

  /** The run waits for the shared bandwidth limit (an upload before each piece): see `RateMeter.claim`. */
  claimBandwidth(): void {
    if (this.state === 'transferring') this.meter.claim();
  }

  /** Bytes that crossed the network so far. */
  get wire(): number {
    return this.bytesOnWire;
  }

  /**
   * A listener for one pass of the data phase, whose counts start at zero: they are added to
   * `doneBefore` (what earlier passes and runs did), to the data done before (`setData`) and to the
   * bytes already on the wire.
   */
  passListener(doneBefore: number): (pass: PassCounts) => void {
    const wireBefore = this.bytesOnWire;
    const dataBefore = this.dataBefore;
    return (pass) => this.update(doneBefore + pass.bytesDone, wireBefore + pass.bytesOnWire, pass.dataDone === undefined ? undefined : dataBefore + pass.dataDone);
  }

  /** Records bytes done (virtual) and bytes that crossed the network. */
  add(done: number, onWire: number): void {
    this.update(this.bytesDone + done, this.bytesOnWire + onWire);
  }

  /** Emits a snapshot now. */
  flush(): void {
    this.lastEmit = this.now();
    this.emit(this.snapshot());
  }

  /** The current snapshot. */
  snapshot(): TransferProgress {
    const t = this.now();
    const moving = this.state === 'transferring';
    const rate = moving ? this.meter.rate() : null;
    const dataLeft = this.dataTotal !== null ? this.dataTotal - this.dataDone : this.bytesTotal === null ? null : this.bytesTotal - this.bytesDone;
    return {
      state: this.state,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      dataDone: this.dataDone,
      dataTotal: this.dataTotal,
      bytesOnWire: this.bytesOnWire,
      rate,
      etaSeconds: rate !== null && rate > 0 && dataLeft !== null ? Math.max(0, dataLeft) / rate : null,
      elapsedMs: t - this.startedAt,
      connections: this.connections,
      viaProxy: this.viaProxy,
    };
  }
}
