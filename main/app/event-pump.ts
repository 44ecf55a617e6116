/**
 * Coalesces change notices into event sends for one window (or one WebSocket client): at most one
 * send per channel every `intervalMs`, the latest state each time; urgent notices (state changes,
 * terminal transitions) go out at once. Transfers go out as deltas against what this window was
 * last sent (TransfersDeltaEncoder). Used by both hosts.
 */
import type { EventChannel, EventChannels, TransfersSnapshot } from '../../shared/ipc.js';
import type { Timers } from '../engine/timers.js';
import type { ChangeNotice } from './change-bus.js';
import { TransfersDeltaEncoder } from './transfer-deltas.js';

/** What the core holds per event channel: the payload itself, but for transfers the whole snapshot (sent as deltas). */
export type EventStates = { readonly [E in EventChannel]: E extends 'transfers:changed' ? TransfersSnapshot : EventChannels[E] };

/** Default: four updates a second at most. */
export const DEFAULT_EVENT_INTERVAL_MS = 250;

/** Ports of a pump. */
export interface EventPumpOptions {
  readonly snapshot: <E extends EventChannel>(channel: E) => EventStates[E];
  readonly send: <E extends EventChannel>(channel: E, payload: EventChannels[E]) => void;
  readonly timers: Timers;
  readonly now: () => number;
  readonly intervalMs?: number;
}

/** See the file comment. */
export class EventPump {
  private readonly lastSent = new Map<EventChannel, number>();
  private readonly timers = new Map<EventChannel, unknown>();
  private readonly urgent = new Set<EventChannel>();
  private readonly transfers = new TransfersDeltaEncoder();
  private closed = false;

  constructor(private readonly o: EventPumpOptions) {}

  /** Feeds a change notice. */
  notify(notice: ChangeNotice): void {
    if (this.closed) return;
    const { channel } = notice;
    // Someone re-read the whole list: this window may be one that lost track, so send it whole.
    if (notice.resync) this.transfers.reset();
    const interval = this.o.intervalMs ?? DEFAULT_EVENT_INTERVAL_MS;
    const since = this.o.now() - (this.lastSent.get(channel) ?? -Infinity);
    if (notice.urgent) {
      // At once, but one snapshot for a burst: adding 1,000 jobs in one call must not send 1,000
      // full snapshots back to back (they pile up in the socket's buffer).
      if (this.urgent.has(channel)) return;
      const pending = this.timers.get(channel);
      if (pending !== undefined) this.o.timers.clearTimeout(pending);
      this.urgent.add(channel);
      this.timers.set(
        channel,
        this.o.timers.setTimeout(() => {
          this.urgent.delete(channel);
          this.timers.delete(channel);
          this.flush(channel);
        }, 0),
      );
      return;
    }
    if (since >= interval && !this.timers.has(channel)) {
      this.flush(channel);
      return;
    }
    if (this.timers.has(channel)) return;
    this.timers.set(
      channel,
      this.o.timers.setTimeout(() => {
        this.timers.delete(channel);
        this.flush(channel);
      }, interval - since),
    );
  }

  /** Sends the channel's current snapshot now. */
  flush(channel: EventChannel): void {
    if (this.closed) return;
    const pending = this.timers.get(channel);
    if (pending !== undefined) {
      this.o.timers.clearTimeout(pending);
      this.timers.delete(channel);
    }
    this.urgent.delete(channel);
    this.lastSent.set(channel, this.o.now());
    this.o.send(channel, this.payload(channel));
  }

  private payload<E extends EventChannel>(channel: E): EventChannels[E] {
    const state = this.o.snapshot(channel);
    const encoders: { [K in EventChannel]: (s: EventStates[K]) => EventChannels[K] } = {
      'transfers:changed': (s) => this.transfers.encode(s),
      'engines:changed': (s) => s,
      'settings:changed': (s) => s,
    };
    return encoders[channel](state);
  }

  /** Stops sending (window closed, socket gone). */
  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) this.o.timers.clearTimeout(t);
    this.timers.clear();
  }
}
