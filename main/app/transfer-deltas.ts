/**
 * Turns successive transfer snapshots into `TransfersChange` events for one window: a whole snapshot
 * first (and after `reset`), then only the views that differ from what that window last got, plus
 * the order of ids. With 1,000 queued jobs and one running, an event shrinks from ~820 KB to the
 * running job's view and ~40 KB of ids.
 */
import type { TransfersChange, TransfersSnapshot } from '../../shared/ipc.js';

/** See the file comment. One per window (or WebSocket client). */
export class TransfersDeltaEncoder {
  /** What the window holds: seq and each view as JSON (views are rebuilt per snapshot, so compare by value). */
  private sent: { readonly seq: number; readonly views: ReadonlyMap<string, string> } | null = null;

  /** The event that brings the window from what it was last sent to `snapshot`. */
  encode(snapshot: TransfersSnapshot): TransfersChange {
    const views = new Map<string, string>();
    const changed = [];
    for (const view of snapshot.transfers) {
      const json = JSON.stringify(view);
      views.set(view.id, json);
      if (this.sent?.views.get(view.id) !== json) changed.push(view);
    }
    const previous = this.sent;
    this.sent = { seq: snapshot.seq, views };
    if (previous === null) return { kind: 'snapshot', ...snapshot };
    return { kind: 'delta', baseSeq: previous.seq, seq: snapshot.seq, changed, order: snapshot.transfers.map((t) => t.id), summary: snapshot.summary };
  }

  /** The next event is a whole snapshot (the window re-read the list, or reloaded). */
  reset(): void {
    this.sent = null;
  }
}
