/**
 * Applies a `transfers:changed` event to the snapshot the window holds. A whole snapshot replaces it
 * when newer; a delta applies only on top of the snapshot it was computed against (`baseSeq`).
 */
import type { TransferView, TransfersChange, TransfersSnapshot } from '../../shared/ipc.js';

/** The snapshot to hold next; `'resync'` when the window must re-read the list (a missed event). */
export function applyTransfersChange(held: TransfersSnapshot, change: TransfersChange): TransfersSnapshot | 'resync' {
  if (change.seq <= held.seq) return held;
  if (change.kind === 'snapshot') return { seq: change.seq, transfers: change.transfers, summary: change.summary };
  if (change.baseSeq !== held.seq) return 'resync';
  const views = new Map<string, TransferView>(held.transfers.map((t) => [t.id, t]));
  for (const t of change.changed) views.set(t.id, t);
  const transfers: TransferView[] = [];
  for (const id of change.order) {
    const view = views.get(id);
    if (view === undefined) return 'resync';
    transfers.push(view);
  }
  return { seq: change.seq, transfers, summary: change.summary };
}
