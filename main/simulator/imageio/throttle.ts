import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Paces body bytes of one connection to a rate (the bandwidthBytesPerSecond fault). No credit is
 * saved up while idle, so a burst after a pause is still paced.
 */
export class Throttle {
  private next = 0;

  /** Piece size that keeps pacing smooth: about 50 ms of data, at least 4 KiB. */
  static pieceFor(rate: number): number {
    return Math.max(4096, Math.floor(rate / 20));
  }

  /** Accounts for n bytes and waits until they are due at `rate` bytes per second. */
  async take(n: number, rate: number): Promise<void> {
    const now = performance.now();
    if (this.next < now) this.next = now;
    this.next += (n / rate) * 1000;
    const wait = this.next - now;
    if (wait > 1) await sleep(wait);
  }
}
