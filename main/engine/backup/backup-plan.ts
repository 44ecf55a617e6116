/**
 * What kind of run a backup of a VM is, decided once: the CLI's `backup` and `queue add backup`, the
 * window's backup plan and the run itself (backup-run.ts) ask here. A run goes through a snapshot
 * when asked or when the engine has no checkpoints (before 4.4); engines before 4.3 can do neither.
 * Otherwise `full` is full, `incremental` needs a finished run with a checkpoint in the VM's folder,
 * and `auto` is incremental when there is one, else full.
 */
import { DiskFerryError } from '../errors.js';
import type { EngineVersion } from '../ovirt/types.js';
import { supportsCheckpoints, supportsFormat } from '../ovirt/versions.js';
import { incrementalParent, lastRun, type RunEntry } from './set.js';
import type { BackupManifest } from './manifest.js';

/** full: every disk whole; incremental: from the last run's checkpoint (an error without one); auto: incremental when it can. */
export type BackupMode = 'full' | 'incremental' | 'auto';

/** Why a run has its kind (the window says it in words; the CLI in its notes). */
export type BackupKindReason =
  /** `full` was asked. */
  | 'asked-full'
  /** Incremental (asked or auto) on the last finished run's checkpoint. */
  | 'on-previous'
  /** auto: no finished run in the VM's folder. */
  | 'no-previous'
  /** auto: the last finished run has no checkpoint (a snapshot run, an engine without checkpoints). */
  | 'previous-without-checkpoint'
  /** A snapshot run, as asked. */
  | 'snapshot-asked'
  /** A snapshot run: the engine has no checkpoints (before 4.4). */
  | 'snapshot-no-checkpoints';

/** How a run goes: through the backup API or a snapshot. */
export interface BackupPath {
  readonly snapshot: boolean;
  /** Set when the engine decides it (no checkpoints): the user cannot choose the backup API. */
  readonly forced: boolean;
}

/**
 * The path of a backup on this engine: a snapshot when asked or when the engine has no checkpoints.
 * Engines before 4.3 can neither back up nor send a snapshot as guest data: refused with what to do.
 */
export function backupPath(version: EngineVersion, askedSnapshot: boolean): BackupPath {
  if (!supportsFormat(version))
    throw new DiskFerryError('bad-input', `This engine (${version.full}) has no backup API and cannot send a snapshot as guest data: backups need oVirt 4.3 or later. Shut the VM down and download its disks instead.`, { retryable: false });
  const forced = !supportsCheckpoints(version);
  return { snapshot: askedSnapshot || forced, forced };
}

/** The kind of the next run and the run it builds on. */
export interface BackupKindPlan {
  readonly kind: BackupManifest['kind'];
  readonly reason: BackupKindReason;
  /** The finished run an incremental run builds on (its checkpoint and files). */
  readonly parent: (RunEntry & { readonly manifest: BackupManifest }) | null;
}

/**
 * The next run of a VM whose folder holds `runs`. An incremental run the folder cannot base is
 * refused in words; the engine may still refuse the checkpoint when the run starts (then the run
 * falls back to full and says so).
 */
export function backupKind(runs: readonly RunEntry[], mode: BackupMode, path: BackupPath, vm: { readonly name: string }, vmDir: string): BackupKindPlan {
  if (path.snapshot) {
    if (mode === 'incremental')
      throw new DiskFerryError(
        'bad-input',
        path.forced
          ? `This engine has no checkpoints, so it cannot make incremental backups of VM '${vm.name}': choose full or auto for a snapshot backup (a full copy).`
          : `A snapshot backup is a full copy each time: choose full or auto for VM '${vm.name}', or leave out the snapshot.`,
        { retryable: false },
      );
    return { kind: 'snapshot', reason: path.forced ? 'snapshot-no-checkpoints' : 'snapshot-asked', parent: null };
  }
  if (mode === 'full') return { kind: 'full', reason: 'asked-full', parent: null };
  const parent = incrementalParent(runs);
  if (parent) return { kind: 'incremental', reason: 'on-previous', parent };
  if (mode === 'incremental')
    throw new DiskFerryError('bad-input', `There is no earlier backup of VM '${vm.name}' in ${vmDir} to build an incremental one on. Run a full backup first (--full), or use --auto.`, { retryable: false });
  return { kind: 'full', reason: lastRun(runs) ? 'previous-without-checkpoint' : 'no-previous', parent: null };
}
