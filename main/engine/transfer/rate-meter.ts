/**
 * A transfer's rate: an exponentially weighted average over wall time (the injected clock) of the
 * rate between two observed increases of a byte counter.
 *
 * Why this shape: bytes arrive in steps (a 4 MiB piece, a chunk paid to the bandwidth limit), so the
 * rate "now" is 0 between steps and a spike at each. Measuring from one increase to the next gives
 * the true rate of a paced stream at every step, and weighting each by the time it covers makes the
 * average the bytes over the time (a limit of 3 MiB/s reads 3 MiB/s, not 2.4 or 6). The weight of
 * the past halves about every `tauMs · ln 2`, so a real change shows within a few seconds while a
 * row's time left does not jump from step to step. A stretch is measured from its first step (the
 * start-up before it would read as a slow start for many seconds), as a plain average until a
 * rate is shown (`RATE_MIN_MS`), which then seeds the weighted one.
 *
 * Or from its first claim on a shared bandwidth limit, when that comes before its first step
 * (`claim`): an upload pays each piece before it goes, so a transfer resumed beside others waits in
 * line behind their reservations, then sends the pieces its workers reserved back to back. Measured
 * from its first step, those pieces read as the whole limit while the others' averages still carry
 * their share, and the status bar's total read up to ~1.2x the limit for seconds after a resume.
 * Measured from the claim, the wait in line is part of the stretch and its average is its share.
 */

/** The default time constant: what happened 3 s ago weighs 1/e of what happens now. */
export const RATE_TAU_MS = 3000;
/**
 * No rate before this much of a stretch has passed since its first step: a few steps say little,
 * and transfers sharing a limit take turns unevenly at first (one that resumes gets several steps in a row).
 */
export const RATE_MIN_MS = 2000;
/** With no increase for longer than this the counter has stalled, and the rate shown decays toward 0. */
export const RATE_STALL_MS = 3000;

/** See the file comment. */
export class RateMeter {
  /** The first increase of the stretch: the start-up before it (connections, the first wait for the limit) is not a rate. */
  private first: { t: number; bytes: number } | null = null;
  private last = { t: 0, bytes: 0 };
  private ewma: number | null = null;
  /** The bytes of the last increase: what the next one is expected to bring. */
  private step = 0;

  constructor(
    private readonly now: () => number,
    private readonly tauMs = RATE_TAU_MS,
  ) {
    this.restart(0);
  }

  /** Starts a new stretch at `bytes`: what came before (a pause, another phase) is forgotten. */
  restart(bytes: number): void {
    this.first = null;
    this.last = { t: this.now(), bytes };
    this.ewma = null;
    this.step = 0;
  }

  /**
   * The transfer asks the shared bandwidth limit for bytes: when no step came yet in this stretch, the
   * stretch starts now, and the bytes of its first step count (see the file comment).
   */
  claim(): void {
    if (this.first !== null) return;
    const t = this.now();
    this.first = { t, bytes: this.last.bytes };
    this.last = { t, bytes: this.last.bytes };
  }

  /** Notes the counter's value now; only an increase is a sample (the counter never goes back). */
  sample(bytes: number): void {
    const t = this.now();
    if (bytes <= this.last.bytes) return;
    const first = this.first;
    if (first === null) {
      this.first = { t, bytes };
      this.last = { t, bytes };
      this.step = 0;
      return;
    }
    const dt = t - this.last.t;
    if (dt <= 0) return;
    if (t - first.t < RATE_MIN_MS || this.ewma === null) {
      // Young stretch (no rate shown yet): the plain average since the first step, so the average
      // starts from a sound value rather than from one step's spike.
      this.ewma = ((bytes - first.bytes) * 1000) / (t - first.t);
    } else {
      const instant = ((bytes - this.last.bytes) * 1000) / dt;
      const weight = 1 - Math.exp(-dt / this.tauMs);
      this.ewma += weight * (instant - this.ewma);
    }
    this.step = bytes - this.last.bytes;
    this.last = { t, bytes };
  }

  /** Bytes per second; null until measurable (fewer than two steps, or less than `RATE_MIN_MS` between the first and now). */
  rate(): number | null {
    if (this.ewma === null || this.first === null) return null;
    const t = this.now();
    if (t - this.first.t < RATE_MIN_MS) return null;
    const quiet = t - this.last.t;
    let rate = this.ewma;
    // A step later than the pace says is already a slower rate: what the average would be if a step
    // like the last one came now. Exact for a paced stream (its steps come on time), and a transfer
    // that the limit lets through in turns reads its share between its turns, not its last burst.
    const late = quiet > 0 && this.step > 0 ? (this.step * 1000) / quiet : rate;
    if (late < rate) rate += (1 - Math.exp(-quiet / this.tauMs)) * (late - rate);
    // A stall reads as a falling rate (as if 0 B/s since the last step), never as a negative one.
    return quiet > RATE_STALL_MS ? Math.min(rate, this.ewma * Math.exp(-quiet / this.tauMs)) : rate;
  }
}
