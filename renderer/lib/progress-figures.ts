/**
 * What a transfer row shows of its progress, decided once (docs/architecture.md, "What the window
 * shows"): the bar and the percentage count the data that moves, the holes (zero runs skipped or
 * zeroed at once) are told apart; the rate and the time left are shown only while data moves, so
 * the verify and finalize tail never sits at "99 % · 0:00 left". Pure; tested.
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
