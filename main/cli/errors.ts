/** How the command line ends: its exit codes (scripts depend on them) and the usage error. */

/** Everything asked for was done. */
export const EXIT_OK = 0;
/** A transfer or request failed (for several files or disks: at least one did). */
export const EXIT_FAILED = 1;
/** The command line was wrong or an input cannot be used (a UsageError). */
export const EXIT_USAGE = 2;
/** Ctrl-C or SIGTERM: the transfer was cleaned up (a queue run keeps its jobs for the next run). */
export const EXIT_INTERRUPTED = 130;

/** The reader of our output went away (`diskferry … | head`) before the command was done: 128 + SIGPIPE, as a shell reports a writer the pipe stopped. */
export const EXIT_PIPE_CLOSED = 141;

/** A usage or input problem: exit code 2, message shown as is. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
