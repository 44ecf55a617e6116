/**
 * The pace rule for answers from servers: undici's body timeout and a socket's idle timeout only
 * limit the gap between two chunks, so a server that sends a byte now and then would hold a request
 * for ever. While an answer arrives it must bring at least MIN_BYTES_PER_READ_WINDOW per read timeout.
 */

/** 64 KiB a minute (about 1 KiB/s at the default timeout) is far below any usable link. */
export const MIN_BYTES_PER_READ_WINDOW = 64 * 1024;

/** One answer's pace: bytes counted since the window started. */
export class PaceWindow {
  private start = Date.now();
  private bytes = 0;

  constructor(private readonly windowMs: number) {}

  /** Starts a new window: at the answer's head, and after our own waits (they are not the server's). */
  restart(): void {
    this.start = Date.now();
    this.bytes = 0;
  }

  /** Counts `n` bytes; null while the pace holds, else what the window saw (for the error). */
  count(n: number): { readonly bytes: number; readonly elapsedMs: number } | null {
    this.bytes += n;
    const elapsedMs = Date.now() - this.start;
    if (elapsedMs < this.windowMs) return null;
    if (this.bytes < MIN_BYTES_PER_READ_WINDOW) return { bytes: this.bytes, elapsedMs };
    this.restart();
    return null;
  }
}
