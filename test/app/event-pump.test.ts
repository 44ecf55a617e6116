import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventPump } from '../../main/app/event-pump.js';
import { realTimers } from '../../main/engine/timers.js';

describe('EventPump coalescing', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const setup = () => {
    let version = 0;
    const sent: Array<{ channel: string; payload: unknown }> = [];
    const summary = { running: 0, pending: 0, completed: 0, failed: 0, rate: 0 };
    const pump = new EventPump({
      // Transfers go through the delta encoder, which needs a real snapshot shape.
      snapshot: (channel) => (channel === 'transfers:changed' ? { seq: version, transfers: [], summary } : { version }) as never,
      send: (channel, payload) => sent.push({ channel, payload }),
      timers: realTimers,
      now: () => Date.now(),
      intervalMs: 250,
    });
    return { pump, sent, bump: () => ++version };
  };

  it('sends the first change at once, then at most one per interval with the latest snapshot', () => {
    const { pump, sent, bump } = setup();
    bump();
    pump.notify({ channel: 'transfers:changed', urgent: false });
    for (let i = 0; i < 50; i++) {
      bump();
      pump.notify({ channel: 'transfers:changed', urgent: false });
    }
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(250);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.payload).toMatchObject({ kind: 'delta', seq: 51 });
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(2);
  });

  it('sends urgent changes (state transitions) at once, one snapshot for a burst in the same tick', () => {
    const { pump, sent } = setup();
    pump.notify({ channel: 'transfers:changed', urgent: false });
    expect(sent).toHaveLength(1);
    for (let i = 0; i < 1000; i++) pump.notify({ channel: 'transfers:changed', urgent: true });
    vi.advanceTimersByTime(0);
    expect(sent).toHaveLength(2);
    pump.notify({ channel: 'transfers:changed', urgent: true });
    vi.advanceTimersByTime(0);
    expect(sent).toHaveLength(3); // not held back by the 250 ms interval
  });

  it('coalesces each channel on its own and stops after close', () => {
    const { pump, sent } = setup();
    pump.notify({ channel: 'transfers:changed', urgent: false });
    pump.notify({ channel: 'engines:changed', urgent: false });
    expect(sent.map((s) => s.channel)).toEqual(['transfers:changed', 'engines:changed']);
    pump.notify({ channel: 'transfers:changed', urgent: false });
    pump.close();
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(2);
  });
});
