import type { EventChannel } from '../../shared/ipc.js';

/** A change notice: which snapshot changed, and whether it must go out at once (terminal states). */
export interface ChangeNotice {
  readonly channel: EventChannel;
  readonly urgent: boolean;
  /** The window re-read the whole state (`transfers:list`): the next event carries it whole. */
  readonly resync?: boolean;
}

/** Tells subscribers that a snapshot changed; the hosts pull the snapshot and coalesce (EventPump). */
export class ChangeBus {
  private readonly listeners = new Set<(notice: ChangeNotice) => void>();

  /** Subscribes; returns the unsubscribe. */
  subscribe(listener: (notice: ChangeNotice) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Announces a change. */
  changed(channel: EventChannel, urgent = false, resync = false): void {
    for (const l of [...this.listeners]) l(resync ? { channel, urgent, resync } : { channel, urgent });
  }
}
