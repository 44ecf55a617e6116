/**
 * What a transfer row shows of its progress, decided once (docs/architecture.md, "What the window
 * shows"): the bar and the percentage count the data that moves, the holes (zero runs skipped or
 * zeroed at once) are told apart; the rate and the time left are shown only while data moves, so
 * the verify and finalize tail never sits at "99 % · 0:00 left". The batch's figures (the status
 * bar) are summed from the same. Pure; tested.
 */
import type { TransferView } from '../../shared/ipc.js';
import { fractionDone } from './format.js';
import { holeBytes } from '../../shared/model.js';

/** The figures of one row. */
export interface RowFigures {
  /** 0…1 of the data moved, or null when unknown (the bar is then striped). */
  readonly fraction: number | null;
  /** Bytes per second, or null: shown only while transferring. */
  readonly rate: number | null;
  /** Seconds left, or null. */
  readonly etaSeconds: number | null;
  /** Bytes of data in the image, once known (null before, or for a transfer saved before it was counted). */
  readonly dataTotal: number | null;
  /** Bytes of holes in the image: not sent, done at once. */
  readonly holes: number | null;
  /** The data has all moved and the run verifies or finalizes: a state of its own, without a rate. */
  readonly tail: boolean;
  /** Whether the rate and time-left columns apply (transferring). */
  readonly moving: boolean;
}

/** The row figures of a transfer. */
export function rowFigures(tr: Pick<TransferView, 'state' | 'progress'>): RowFigures {
  const p = tr.progress;
  const moving = tr.state === 'transferring';
  const tail = tr.state === 'verifying' || tr.state === 'finalizing';
  const dataKnown = p.dataTotal !== null && p.bytesTotal !== null && p.dataTotal > 0;
  let fraction = dataKnown ? fractionDone(p.dataDone, p.dataTotal) : fractionDone(p.bytesDone, p.bytesTotal);
  if (tr.state === 'completed' || tail) fraction = 1;
  const rate = moving && p.rate !== null && p.rate >= 0 ? p.rate : null;
  return {
    fraction,
    rate,
    etaSeconds: moving && rate !== null && rate > 0 ? p.etaSeconds : null,
    dataTotal: p.dataTotal,
    holes: holeBytes(p),
    tail,
    moving,
  };
}

/** The formats in the direction the data goes: the file's → the disk's for an upload, the disk's → the file's for a download. */
export function formatDirection(tr: Pick<TransferView, 'direction' | 'localFormat' | 'diskFormat'>): string {
  const local = tr.localFormat ?? '—';
  const disk = tr.diskFormat ?? '—';
  return tr.direction === 'upload' ? `${local} → ${disk}` : `${disk} → ${local}`;
}

/** The figures of the batch: what the queue still has to move, and what finished in it. */
export interface BatchFigures {
  /** Transfers in the batch: the queue's, not failed, and those completed since the oldest of them was queued. */
  readonly count: number;
  /** 0…1 of the batch's data moved; null while a size is unknown. */
  readonly fraction: number | null;
  /** Bytes of data still to move (a transfer whose data is not described yet counts its whole image). */
  readonly left: number;
  /** The sum of the rows' rates (the status bar's total). */
  readonly rate: number;
  /** Seconds until the data left has moved at that rate; null while nothing moves or a size is unknown. */
  readonly etaSeconds: number | null;
}

type BatchMember = Pick<TransferView, 'state' | 'progress' | 'createdAt' | 'finishedAt'>;

/**
 * The batch's figures from the same per-row figures the rows show: data that moves (holes apart),
 * the rows' rates summed. Null when the queue has nothing left to do.
 */
export function batchFigures(transfers: readonly BatchMember[]): BatchFigures | null {
  const open = transfers.filter((t) => t.state !== 'completed' && t.state !== 'failed' && t.state !== 'cancelled');
  if (open.length === 0) return null;
  const since = Math.min(...open.map((t) => t.createdAt));
  const members = [...open, ...transfers.filter((t) => t.state === 'completed' && t.finishedAt !== null && t.finishedAt >= since)];
  let total = 0;
  let done = 0;
  let known = true;
  let rate = 0;
  for (const t of members) {
    const p = t.progress;
    const size = p.dataTotal ?? p.bytesTotal;
    if (size === null) {
      known = false;
      continue;
    }
    total += size;
    done += t.state === 'completed' ? size : Math.min(size, p.dataTotal !== null ? p.dataDone : p.bytesDone);
  }
  for (const t of open) rate += rowFigures(t).rate ?? 0;
  const left = Math.max(0, total - done);
  return {
    count: members.length,
    fraction: known && total > 0 ? done / total : null,
    left,
    rate,
    etaSeconds: known && rate > 0 ? left / rate : null,
  };
}

/** A finished transfer's average rate: its data bytes over the time its runs were active; null when unknown. */
export function averageRate(tr: Pick<TransferView, 'state' | 'progress'>): number | null {
  const p = tr.progress;
  const data = tr.state === 'completed' ? (p.dataTotal ?? p.bytesTotal) : p.dataTotal !== null ? p.dataDone : null;
  return data !== null && p.elapsedMs > 0 ? (data * 1000) / p.elapsedMs : null;
}

/** Where the data went: the storage domain and disk of an upload, the file of a download. */
export function destinationOf(tr: Pick<TransferView, 'direction' | 'storageDomainName' | 'diskName' | 'localPath'>): string {
  return tr.direction === 'upload' ? `${tr.storageDomainName ?? '—'} / ${tr.diskName}` : tr.localPath;
}
