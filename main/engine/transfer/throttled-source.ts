import type { RangeSource } from '../imageio/put-body.js';

/**
 * An upload source whose reads wait for a shared bandwidth limit. A PUT body reads its next piece
 * only after the socket took the previous one, so pacing the reads paces the wire. `signal` gives the
 * current run's signal, so a pause or cancel does not wait for the limit.
 */
export function throttledSource(source: RangeSource, throttle: (bytes: number, signal: AbortSignal) => Promise<void>, signal: () => AbortSignal): RangeSource {
  return {
    read: async (offset, buffer) => {
      const n = await source.read(offset, buffer);
      if (n > 0) await throttle(n, signal());
      return n;
    },
  };
}
