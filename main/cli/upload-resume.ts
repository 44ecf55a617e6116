/**
 * `diskferry upload --resume`: finds the journal an interrupted plain upload of a file left (in
 * `<config folder>/uploads/`, keyed by file and disk) and decides how the upload goes on: on the same
 * disk, sending only what the server had not flushed, or from the start when the file changed or the
 * disk cannot be continued, after removing what the interrupted upload left on the engine.
 */
import { formatBytes } from '../../shared/format.js';
import { errorMessage } from '../engine/errors.js';
import { imageStamp, type ImageProbe } from '../engine/image/probe.js';
import type { Disk } from '../engine/ovirt/types.js';
import type { TransferDeps } from '../engine/transfer/deps.js';
import { REATTACHABLE_PHASES, type UploadAttachment } from '../engine/transfer/reattach.js';
import { journalMismatch, UploadJournal } from '../engine/transfer/upload-journal.js';

/** How a resumed plain upload goes on. */
export type ResumeStart =
  | { readonly kind: 'fresh' }
  | { readonly kind: 'continue'; readonly attachment: UploadAttachment }
  /** The interrupted run had finished: the engine holds the uploaded disk. */
  | { readonly kind: 'done'; readonly disk: Disk };

const FINISHED = new Set(['finished_success', 'finished_failure', 'finished_cleanup']);
const CLEANUP_TIMEOUT_MS = 120_000;

/**
 * Looks for an interrupted upload of `probe` to a disk named `diskName` on this engine. `note` tells
 * the user what was found and what happens now (one line each).
 */
export async function findResumable(deps: TransferDeps, probe: ImageProbe, diskName: string, note: (line: string) => void, signal: AbortSignal): Promise<ResumeStart> {
  const { client } = deps;
  const dir = deps.uploadJournals;
  const journals = dir ? (await UploadJournal.find(dir, probe.path, client.engineHost)).filter((j) => j.identity.diskName === diskName) : [];
  const journal = journals[0];
  if (!journal) {
    note(`no interrupted upload of ${probe.path} to a disk named '${diskName}' on this engine: it is uploaded from the start.`);
    return { kind: 'fresh' };
  }
  const { diskId } = journal.identity;
  const changed = journalMismatch(journal.identity, imageStamp(probe));
  const disk = await client.disk(diskId, signal);
  const transfer = journal.lastTransferId ? await client.transfer(journal.lastTransferId, signal) : null;
  if (!disk) {
    note(`the disk ${diskId} of the interrupted upload is gone from the engine: ${probe.path} is uploaded from the start.`);
    await journal.remove();
    return { kind: 'fresh' };
  }
  if (!changed && journal.finalizing && disk.status === 'ok' && (!transfer || transfer.phase === 'finished_success')) {
    note(`the interrupted upload had finished: disk '${disk.name}' (${disk.id}) holds ${probe.path}.`);
    await journal.remove();
    return { kind: 'done', disk };
  }
  const open = transfer !== null && REATTACHABLE_PHASES.has(transfer.phase);
  if (!changed && (open || disk.status === 'ok')) {
    const kept = journal.done.size;
    note(`continuing the interrupted upload of ${probe.path} on disk '${disk.name}' (${disk.id}); the server already has ${formatBytes(kept)} of it.`);
    return { kind: 'continue', attachment: { diskId, transferId: open ? transfer.id : null } };
  }
  const why = changed ?? `its disk is ${disk.status}`;
  note(`${why}: the interrupted upload is not continued; its disk '${disk.name}' (${disk.id}) is removed and ${probe.path} is uploaded from the start.`);
  await discard(deps, disk, transfer && !FINISHED.has(transfer.phase) ? transfer.id : null, note);
  await journal.remove();
  return { kind: 'fresh' };
}

/** Ends the interrupted upload's transfer (the engine then deletes its disk) and deletes the disk if it is still there. */
async function discard(deps: TransferDeps, disk: Disk, transferId: string | null, note: (line: string) => void): Promise<void> {
  const { client } = deps;
  const signal = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
  try {
    if (transferId) await client.cancelTransferAndWait(transferId, { signal, timeoutMs: CLEANUP_TIMEOUT_MS });
    if (await client.disk(disk.id, signal)) await client.deleteDisk(disk.id, signal);
    if (!(await client.waitForDiskGone(disk.id, { signal, timeoutMs: CLEANUP_TIMEOUT_MS }))) throw new Error('the engine has not removed it yet');
  } catch (err) {
    note(`disk '${disk.name}' (${disk.id}) of the interrupted upload could not be removed (${errorMessage(err)}): remove it in the oVirt Administration Portal.`);
  }
}
