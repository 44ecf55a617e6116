import { describe, expect, it } from 'vitest';
import { InterruptSteps, REPEAT_GRACE_MS } from '../../main/cli/interrupt.js';

describe('InterruptSteps', () => {
  it('stops on the first signal, takes repeats within the grace period as the same request, forces after it', () => {
    let now = 5_000;
    const steps = new InterruptSteps(() => now);
    expect(steps.next()).toBe('stop');
    now += 30; // tsx relays a signal its child did not acknowledge within 30 ms
    expect(steps.next()).toBe('repeat');
    now += REPEAT_GRACE_MS - 31;
    expect(steps.next()).toBe('repeat');
    now += 1; // the grace period counts from the first signal, not from the last repeat
    expect(steps.next()).toBe('force');
    expect(steps.next()).toBe('force');
  });

  it('counts the grace period it is given', () => {
    let now = 0;
    const steps = new InterruptSteps(() => now, 100);
    expect(steps.next()).toBe('stop');
    now = 99;
    expect(steps.next()).toBe('repeat');
    now = 100;
    expect(steps.next()).toBe('force');
  });
});
