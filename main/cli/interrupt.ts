/**
 * Ctrl-C (SIGINT) and SIGTERM while a command runs. The first asks the command to stop and clean up
 * (its transfer ended on the engine, a queue run's jobs and lock left in order); a second request
 * quits at once. A signal repeated within REPEAT_GRACE_MS of the first is the same request: a signal
 * sent to a process group (a terminal's Ctrl-C, `kill -- -PGID`, a service manager) also reaches the
 * parents that started us (npm, tsx), and they relay it to us again a few milliseconds later.
 */
import { DiskFerryError } from '../engine/errors.js';
import { EXIT_INTERRUPTED } from './errors.js';

/** How long after the first signal another one still counts as the same request. */
export const REPEAT_GRACE_MS = 1000;

/** What one more signal means: stop and clean up, the same request again, or quit at once. */
export type InterruptStep = 'stop' | 'repeat' | 'force';

/** Counts the interrupt signals of one command and tells what each means. */
export class InterruptSteps {
  private firstAt: number | null = null;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly graceMs: number = REPEAT_GRACE_MS,
  ) {}

  /** What a signal received now means. */
  next(): InterruptStep {
    const now = this.now();
    if (this.firstAt === null) {
      this.firstAt = now;
      return 'stop';
    }
    return now - this.firstAt < this.graceMs ? 'repeat' : 'force';
  }
}

/**
 * Listens for SIGINT and SIGTERM until `dispose()`: the first aborts `signal` (with a `cancelled`
 * DiskFerryError) and says so on `stderr`, a repeat within the grace period is ignored, a later one
 * exits the process at once with the interrupted exit code.
 */
export function listenForInterrupts(stderr: NodeJS.WritableStream, interrupt = new AbortController()): { readonly signal: AbortSignal; dispose(): void } {
  const steps = new InterruptSteps();
  const onSignal = () => {
    const step = steps.next();
    if (step === 'force') process.exit(EXIT_INTERRUPTED);
    if (step === 'repeat') return;
    stderr.write('\nInterrupted: cleaning up the transfer (press Ctrl-C again to quit at once)…\n');
    interrupt.abort(new DiskFerryError('cancelled', 'Interrupted.', { retryable: false }));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: interrupt.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
