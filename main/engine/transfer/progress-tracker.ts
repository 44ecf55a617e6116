import type { TransferProgress, TransferState } from '../../../shared/model.js';

/** Clock port: epoch ms. */
export type Now = () => number;

const WINDOW_MS = 5000;

/**
 * Accumulates progress of one transfer and emits coalesced snapshots: at most one per
 * `intervalMs`, except state changes, which are emitted at once. Rate is measured over the last
 * five seconds of virtual progress (skipped zeros count, like ovirt-img's virtual rate).
 */
export class ProgressTracker {
  private state: TransferState = 'preparing';
  private bytesDone = 0;
  private bytesOnWire = 0;
  private bytesTotal: number | null = null;
  private connections = 0;
  private viaProxy: boolean | null = null;
  private readonly startedAt: number;
  private lastEmit = -Infinity;
  private samples: Array<{ t: number; done: number }> = [];
  private transferStartedAt: number | null = null;
  private transferMs = 0;

  constructor(
    private readonly now: Now,
    private readonly emit: (p: TransferProgress) => void,
    private readonly intervalMs = 250,
  ) {
    this.startedAt = now();
  }

  /** Sets the guest size once known. */
  setTotal(total: number | null): void {
    this.bytesTotal = total;
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
    if (state === 'transferring') this.samples = [];
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
    this.bytesDone = bytesDone;
  }

  /** Sets the absolute counters (virtual bytes done, bytes on the wire) and emits if due. */
  update(bytesDone: number, bytesOnWire: number): void {
    this.bytesDone = bytesDone;
    this.bytesOnWire = bytesOnWire;
    if (this.now() - this.lastEmit >= this.intervalMs) this.flush();
  }

  /** Bytes that crossed the network so far. */
  get wire(): number {
    return this.bytesOnWire;
  }

  /**
   * A listener for one pass of the data phase, whose counts start at zero: they are added to
   * `doneBefore` (what earlier passes and runs did) and to the bytes already on the wire.
   */
  passListener(doneBefore: number): (pass: { readonly bytesDone: number; readonly bytesOnWire: number }) => void {
    const wireBefore = this.bytesOnWire;
    return (pass) => this.update(doneBefore + pass.bytesDone, wireBefore + pass.bytesOnWire);
  }

  /** Records bytes done (virtual) and bytes that crossed the network. */
  add(done: number, onWire: number): void {
    this.bytesDone += done;
    this.bytesOnWire += onWire;
    if (this.now() - this.lastEmit >= this.intervalMs) this.flush();
  }

  /** Emits a snapshot now. */
  flush(): void {
    this.lastEmit = this.now();
    this.emit(this.snapshot());
  }

  /** The current snapshot. */
  snapshot(): TransferProgress {
    const t = this.now();
    this.samples.push({ t, done: this.bytesDone });
    while (this.samples.length > 2 && t - this.samples[0]!.t > WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const dt = (t - first.t) / 1000;
    const rate = dt >= 0.2 ? (this.bytesDone - first.done) / dt : null;
    const left = this.bytesTotal === null ? null : Math.max(0, this.bytesTotal - this.bytesDone);
    return {
      state: this.state,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      bytesOnWire: this.bytesOnWire,
      rate,
      etaSeconds: rate && rate > 0 && left !== null ? left / rate : null,
      elapsedMs: t - this.startedAt,
      connections: this.connections,
      viaProxy: this.viaProxy,
    };
  }
}
