/** The typed event sender: the only place main pushes events to the window, coalesced by an EventPump. */
import type { WebContents } from 'electron';
import type { EventChannel, EventChannels } from '../../shared/ipc.js';
import type { AppCore } from '../app/app-core.js';
import { EventPump } from '../app/event-pump.js';
import type { Timers } from '../engine/timers.js';

/** Forwards the core's change notices to one window until it is destroyed; returns the stop function. */
export function forwardEvents(core: Pick<AppCore, 'subscribe' | 'snapshot'>, contents: Pick<WebContents, 'send' | 'isDestroyed'>, timers: Timers, now: () => number): () => void {
  const pump = new EventPump({
    snapshot: <E extends EventChannel>(channel: E) => core.snapshot(channel),
    send: <E extends EventChannel>(channel: E, payload: EventChannels[E]) => {
      if (!contents.isDestroyed()) contents.send(channel, payload);
    },
    timers,
    now,
  });
  const unsubscribe = core.subscribe((notice) => pump.notify(notice));
  return () => {
    unsubscribe();
    pump.close();
  };
}
