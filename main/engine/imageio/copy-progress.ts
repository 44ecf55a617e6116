import type { PlannedRange } from './plan.js';

/** Progress of a copy. */
export interface CopyProgress {
  /** Virtual bytes done: data moved plus zero ranges skipped or zeroed; never goes back. */
  readonly bytesDone: number;
  /** The part of `bytesDone` in data ranges (the bytes that must move; holes excluded); never goes back. */
  readonly dataDone: number;
  /** Body bytes that crossed the network, resends included. */
  readonly bytesOnWire: number;
  /** Size of the plan. */
  readonly bytesTotal: number;
}

/**
 * Counts progress of a parallel copy. A range counts once even when it is sent again after a
 * failure, and bytesDone is kept monotonic so a retry never moves a progress bar backwards.
 */
export class CopyProgressCounter {
  private readonly completed = new Set<PlannedRange>();
  private readonly inFlight = new Map<PlannedRange, number>();
  private completedBytes = 0;
  private completedData = 0;
  private reported = 0;
  private reportedData = 0;
  bytesOnWire = 0;

  constructor(
    readonly bytesTotal: number,
    private readonly onProgress: ((p: CopyProgress) => void) | undefined,
  ) {}

  /** Some bytes of a range moved (one piece). */
  piece(range: PlannedRange, bytes: number, onWire: boolean): void {
    if (onWire) this.bytesOnWire += bytes;
    if (!this.completed.has(range)) this.inFlight.set(range, (this.inFlight.get(range) ?? 0) + bytes);
    this.emit();
  }

  /** A range is done (or skipped); `quiet` defers the callback to the next event or to emit(). */
  complete(range: PlannedRange, quiet = false): void {
    this.inFlight.delete(range);
    if (!this.completed.has(range)) {
      this.completed.add(range);
      this.completedBytes += range.length;
      if (!range.zero) this.completedData += range.length;
    }
    if (!quiet) this.emit();
  }

  /** A request failed: forget its partial bytes (the range will be sent again). */
  abandon(range: PlannedRange): void {
    this.inFlight.delete(range);
  }

  /** The current figures. */
  snapshot(): CopyProgress {
    let inFlight = 0;
    let inFlightData = 0;
    for (const [range, n] of this.inFlight) {
      inFlight += n;
      if (!range.zero) inFlightData += n;
    }
    this.reported = Math.min(this.bytesTotal, Math.max(this.reported, this.completedBytes + inFlight));
    this.reportedData = Math.min(this.reported, Math.max(this.reportedData, this.completedData + inFlightData));
    return { bytesDone: this.reported, dataDone: this.reportedData, bytesOnWire: this.bytesOnWire, bytesTotal: this.bytesTotal };
  }

  /** Reports the current figures now. */
  emit(): void {
    if (this.onProgress) this.onProgress(this.snapshot());
  }
}
