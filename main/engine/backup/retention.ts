/**
 * Retention of a VM's backups: keep the newest N chains (a full run and the incremental runs on
 * it), delete the older run folders whole, never a run that a kept run builds on, never an
 * unfinished run (the next backup ends those). On request the deleted runs' checkpoints go on the
 * engine too, oldest first (engines before 4.4.7 remove only the root of the chain).
 */
import { rm } from 'node:fs/promises';
import { DiskFerryError, errorMessage } from '../errors.js';
import type { Log } from '../log.js';
import type { OvirtClient } from '../ovirt/client.js';
import { chains, listRuns, type Chain } from './set.js';

/** What pruning did (or, with `dryRun`, would do). */
export interface PruneResult {
  /** Run folders kept and removed, by name, oldest first. */
  readonly kept: readonly string[];
  readonly removed: readonly string[];
  /** Checkpoints removed on the engine. */
  readonly checkpointsRemoved: readonly string[];
  /** Checkpoints that could not be removed, with why. */
  readonly checkpointsLeft: ReadonlyArray<{ readonly id: string; readonly why: string }>;
}

/** Which chains stay: the newest `keep`. */
export function chainsToRemove(all: readonly Chain[], keep: number): { keep: readonly Chain[]; remove: readonly Chain[] } {
  if (!Number.isSafeInteger(keep) || keep < 1) throw new DiskFerryError('bad-input', `--keep must be 1 or more (got ${keep}): the last chain is what the next incremental backup builds on.`, { retryable: false });
  return { keep: all.slice(Math.max(0, all.length - keep)), remove: all.slice(0, Math.max(0, all.length - keep)) };
}

/** Prunes one VM folder; `engine` (with the VM id) removes the deleted runs' checkpoints too. */
export async function pruneVmFolder(
  vmDir: string,
  keep: number,
  o: { readonly engine: { readonly client: OvirtClient; readonly log: Log } | null; readonly vmId?: string; readonly dryRun?: boolean },
): Promise<PruneResult> {
  const plan = chainsToRemove(chains(await listRuns(vmDir)), keep);
  const removedRuns = plan.remove.flatMap((c) => c.runs);
  const checkpoints = removedRuns.flatMap((r) => (r.manifest.toCheckpointId !== null && r.manifest.kind !== 'snapshot' ? [{ id: r.manifest.toCheckpointId, vmId: r.manifest.vm.id }] : []));
  const result = { kept: plan.keep.flatMap((c) => c.runs.map((r) => r.name)), removed: removedRuns.map((r) => r.name), checkpointsRemoved: [] as string[], checkpointsLeft: [] as Array<{ id: string; why: string }> };
  if (o.dryRun) return { ...result, checkpointsRemoved: o.engine ? checkpoints.map((c) => c.id) : [] };
  for (const r of removedRuns) await rm(r.dir, { recursive: true, force: true });
  if (!o.engine) return result;
  const { client, log } = o.engine;
  for (const c of checkpoints) {
    const vmId = o.vmId ?? c.vmId;
    try {
      const known = (await client.backups.checkpoints(vmId)).some((k) => k.id === c.id);
      if (!known) continue; // the engine removed it already (a snapshot restore removes them all)
      await client.backups.deleteCheckpoint(vmId, c.id);
      if (!(await client.backups.waitForCheckpointGone(vmId, c.id, { timeoutMs: 2 * 60_000 }))) throw new Error('still there after 2 minutes');
      result.checkpointsRemoved.push(c.id);
    } catch (err) {
      log.warn('a checkpoint could not be removed', { checkpointId: c.id, error: errorMessage(err) });
      result.checkpointsLeft.push({ id: c.id, why: errorMessage(err) });
    }
  }
  return result;
}
