/**
 * Words for the engine's own transfers (the "Transfers on this engine" sheet) and for a failure
 * that a locked disk caused: which keys of renderer/i18n say whose a transfer is, what it is doing,
 * what ending it will do and what it did. Pure; tested.
 */
import type { ErrorInfo } from '../../shared/errors.js';
import type { EndEngineTransferResult, EngineTransferView, TransferView } from '../../shared/ipc.js';

/** A key and its parameters. */
export interface Words {
  readonly key: string;
  readonly params?: Record<string, string>;
  /** A parameter that is words itself (whose a transfer is), put in as `label` once worded. */
  readonly label?: Words;
}

/** Words with their `label` worded first, as `t`'s parameters. */
export function paramsOf(w: Words, t: (key: string, params?: Record<string, string>) => string): Record<string, string> {
  return { ...w.params, ...(w.label ? { label: t(w.label.key, w.label.params) } : {}) };
}

/** Whose a transfer of ours is, in the window's language: a job of its queue or of `diskferry queue` (name and short id), or a command (and its process). */
export function ownerLabelWords(o: NonNullable<EngineTransferView['owner']>): Words {
  const params = { name: o.name, ref: o.ref };
  if (o.kind === 'process') return o.host ? { key: 'engineTransfers.owner.processElsewhere', params: { ...params, host: o.host } } : { key: 'engineTransfers.owner.process', params };
  return { key: o.kind === 'queue' ? 'engineTransfers.owner.queue' : 'engineTransfers.owner.commandLineQueue', params };
}

/** The disk's name, else its id, else a placeholder. */
export function diskLabel(r: Pick<EngineTransferView, 'diskName' | 'diskId'>): string {
  return r.diskName ?? r.diskId ?? '?';
}

/** Whose a transfer is: ours (with the job or command), or another client's. */
export function ownerWords(r: EngineTransferView): Words {
  return r.owner ? { key: 'engineTransfers.ours', label: ownerLabelWords(r.owner) } : { key: 'engineTransfers.anotherClient' };
}

/** What the confirmation says before ending a transfer: what happens to the disk, and whose it is (`confirmForeign` also takes the reason's words as `reason`). */
export function confirmWords(r: EngineTransferView): { readonly effect: Words; readonly whose: Words | null; readonly button: string } {
  const disk = diskLabel(r);
  const effect = r.ending === 'cancel' ? { key: 'engineTransfers.confirmCancel', params: { disk } } : { key: 'engineTransfers.confirmFinalize', params: { disk } };
  const whose: Words | null =
    r.owner !== null
      ? { key: 'engineTransfers.confirmOurs', label: ownerLabelWords(r.owner) }
      : r.endable === 'another-client'
        ? { key: 'engineTransfers.confirmForeign', params: { host: r.hostName ?? '?' } }
        : { key: 'engineTransfers.confirmForeignStuck', params: { host: r.hostName ?? '?' } };
  const button = r.ending === 'cancel' ? 'engineTransfers.confirmDelete' : r.endable === 'another-client' ? 'engineTransfers.confirmForeignEnd' : 'engineTransfers.confirmFinalizeButton';
  return { effect, whose, button };
}

/** The request flags the user's confirmation stands for. */
export function consentOf(r: EngineTransferView): { readonly anotherClient?: true; readonly deleteDisk?: true } {
  return { ...(r.endable === 'another-client' ? { anotherClient: true as const } : {}), ...(r.ending === 'cancel' ? { deleteDisk: true as const } : {}) };
}

/** What ending a transfer did, in words. */
export function resultWords(r: EndEngineTransferResult, direction: EngineTransferView['direction']): Words {
  const disk = r.diskName ?? '?';
  if (r.disk === 'removed') return { key: 'engineTransfers.result.removed', params: { disk } };
  if (r.disk === 'ok') return direction === 'upload' ? { key: 'engineTransfers.result.kept', params: { disk } } : { key: 'engineTransfers.result.ok', params: { disk } };
  if (r.disk === 'unknown') return { key: 'engineTransfers.result.ended', params: { disk } };
  return { key: 'engineTransfers.result.unsettled', params: { disk, status: r.disk } };
}

/** True when a transfer failed (or waits to retry) because the engine said its disk is locked: the row offers the disk's transfers. */
export function lockedDisk(t: Pick<TransferView, 'state' | 'diskId'> & { readonly error: ErrorInfo | null }): boolean {
  return (t.state === 'failed' || t.state === 'retrying') && t.error?.diskLocked === true && t.diskId !== null;
}
