import { holeBytes, type TransferProgress } from '../../shared/model.js';
import { formatBytes, formatDuration, formatRate } from '../../shared/format.js';

/** Where progress goes: a redrawn bar on a TTY, JSON lines with --json, or sparse plain lines. */
export type ProgressMode = 'tty' | 'json' | 'plain';

const PHASE_WORDS: Record<TransferProgress['state'], string> = {
  queued: 'queued',
  waiting: 'waiting for the window',
  preparing: 'preparing',
  initializing: 'waiting for the engine',
  transferring: 'transferring',
  paused: 'paused',
  retrying: 'retrying',
  finalizing: 'finalizing',
  verifying: 'verifying',
  completed: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** The one-line text of a progress snapshot: `[ 71% ] 1.20 GiB of 2.00 GiB, 412.00 MiB/s, 0:38 left | transferring`. */
export function progressLine(label: string, p: TransferProgress): string {
  const pct = p.bytesTotal ? `${String(Math.floor((p.bytesDone / p.bytesTotal) * 100)).padStart(3)}%` : ' ---';
  const parts = [`[${pct} ] ${label}`, `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}`];
  if (p.state === 'transferring') parts.push(formatRate(p.rate), `${formatDuration(p.etaSeconds)} left`);
  return `${parts.join(', ')} | ${PHASE_WORDS[p.state]}${p.viaProxy ? ' (via proxy)' : ''}`;
}

/** Renders progress events for one transfer at a time to a stream. */
export class ProgressPrinter {
  private lastDraw = 0;
  private lastState: string | null = null;
  private lastPct = -1;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WritableStream & { columns?: number },
    private readonly mode: ProgressMode,
    private readonly now: () => number = Date.now,
  ) {}

  /** Shows one snapshot; redraws are throttled to 10 per second except on state changes. */
  update(label: string, p: TransferProgress): void {
    const stateChanged = p.state !== this.lastState;
    this.lastState = p.state;
    if (this.mode === 'json') {
      if (!stateChanged && this.now() - this.lastDraw < 500) return;
      this.lastDraw = this.now();
      this.out.write(
        JSON.stringify({
          name: label,
          phase: p.state,
          transferred: p.bytesDone,
          size: p.bytesTotal,
          // The data that must move and the holes apart, as the window's row shows them.
          data_done: p.dataDone,
          data_total: p.dataTotal,
          holes: holeBytes(p),
          on_wire: p.bytesOnWire,
          elapsed: Math.round(p.elapsedMs) / 1000,
          rate: p.rate === null ? null : Math.round(p.rate),
          // Seconds left at the current rate (null until it can be measured), as the text line shows it.
          eta: p.etaSeconds === null ? null : Math.round(p.etaSeconds),
        }) + '\n',
      );
      return;
    }
    if (this.mode === 'plain') {
      const pct = p.bytesTotal ? Math.floor((p.bytesDone / p.bytesTotal) * 10) * 10 : -1;
      if (!stateChanged && pct === this.lastPct) return;
      this.lastPct = pct;
      this.out.write(progressLine(label, p) + '\n');
      return;
    }
    if (!stateChanged && this.now() - this.lastDraw < 100) return;
    this.lastDraw = this.now();
    // A pseudo-terminal without a window size reports 0 columns.
    const width = Math.max(40, (this.out.columns || 100) - 1);
    const line = progressLine(label, p);
    this.out.write(`\r${line.length > width ? line.slice(0, width) : line.padEnd(width)}`);
    this.drawn = true;
  }

  /** Ends the current line (after the last update of a transfer). */
  finish(): void {
    if (this.mode === 'tty' && this.drawn) this.out.write('\n');
    this.drawn = false;
    this.lastState = null;
    this.lastPct = -1;
  }
}
