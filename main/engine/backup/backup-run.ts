/**
 * One backup of a VM (docs/backup.md; reference/backup.md §16): end what an earlier run left open,
 * start a full or incremental backup of every disk (incremental from the checkpoint the last run
 * recorded), wait for `ready`, download each disk through a backup transfer as a qcow2 (an
 * incremental disk on top of the previous run's file of that disk), always finalize the backup, and
 * write the manifest last. A checkpoint the engine refuses falls back to a full backup, and says so.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { TransferProgress } from '../../../shared/model.js';
import { DiskFerryError, asDiskFerryError, errorMessage } from '../errors.js';
import type { Backup } from '../ovirt/backup-types.js';
import type { Disk } from '../ovirt/types.js';
import { isCheckpointRejected } from '../ovirt/vm-backups.js';
import { TransferControl } from '../transfer/control.js';
import type { TransferDeps, TransferOptions } from '../transfer/deps.js';
import { downloadDisk, type DownloadResult } from '../transfer/download-disk.js';
import { backupKind, type BackupMode } from './backup-plan.js';
import { InProgress, endLeftovers, finalizeBackup } from './in-progress.js';
import { runFolderName, writeManifest, type BackupDiskEntry, type BackupManifest } from './manifest.js';
import { pruneVmFolder, type PruneResult } from './retention.js';
import { diskFileName, listRuns, vmFolderName, type RunEntry } from './set.js';
import { resolveVm, type VmWithDisks } from './vm-lookup.js';

export type { BackupMode } from './backup-plan.js';

/** What to back up where. */
export interface BackupRequest {
  /** VM id or exact name. */
  readonly vm: string;
  /** The output folder; the VM's own folder is made in it. */
  readonly outputDir: string;
  readonly mode: BackupMode;
  /** Compare each full disk's checksum with the server's (default true). */
  readonly verify?: boolean;
  /** After a good run: keep this many full chains of the VM, delete the older ones. */
  readonly keep?: number;
  /** With `keep`: remove the deleted runs' checkpoints on the engine too. */
  readonly removeCheckpoints?: boolean;
}

/** Where the backup stands: the disk being downloaded, and the whole backup. */
export interface BackupProgress {
  readonly disk: { readonly id: string; readonly name: string; readonly index: number; readonly count: number };
  readonly progress: TransferProgress;
  readonly total: TransferProgress;
}

/** What a run takes besides its request. */
export interface BackupOptions extends Pick<TransferOptions, 'tuning' | 'throttle'> {
  /** Cancel (and pause) the disk downloads; the backup is finalized either way. */
  readonly control?: TransferControl;
  readonly onProgress?: (p: BackupProgress) => void;
  /** What the user should know as it happens (fell back to a full backup, ended an earlier run…). */
  readonly onNote?: (note: string) => void;
  /** Awaited when the engine holds the backup and each of its transfers (a queue saves them). */
  readonly onCreated?: (ids: { readonly backupId: string; readonly transferId: string | null }) => Promise<void> | void;
}

/** What a finished run did. */
export interface BackupResult {
  readonly manifest: BackupManifest;
  /** The run folder and the VM's folder. */
  readonly runDir: string;
  readonly vmDir: string;
  /** Bytes that crossed the network for the disks' data. */
  readonly bytesOnWire: number;
  readonly elapsedMs: number;
  /** What retention removed (when asked). */
  readonly pruned: PruneResult | null;
}

/** Runs one backup of a VM; see the file comment. The backup is finalized on every path. */
export async function backupVm(deps: TransferDeps, request: BackupRequest, options: BackupOptions = {}): Promise<BackupResult> {
  const control = options.control ?? new TransferControl();
  const note = (n: string) => {
    notes.push(n);
    options.onNote?.(n);
  };
  const notes: string[] = [];
  const started = new Date(deps.now());
  const vm = await resolveVm(deps.client, request.vm, control.cancelSignal);
  if (vm.disks.length === 0) throw new DiskFerryError('bad-input', `VM '${vm.name}' has no disks to back up.`, { retryable: false });
  const vmDir = join(request.outputDir, vmFolderName(vm));
  await mkdir(vmDir, { recursive: true });
  const leftover = await endLeftovers(deps, vmDir);
  if (leftover) note(leftover);

  const { parent } = backupKind(await listRuns(vmDir), request.mode, { snapshot: false, forced: false }, vm, vmDir);

  const description = `DiskFerry backup ${runFolderName(started, 'full')} of ${vm.name}`;
  const record = await InProgress.begin(vmDir, vm, description, started);
  let backup: Backup | null = null;
  let runDir: string | null = null;
  let manifestWritten = false;
  try {
    backup = await startBackup(deps, vm, parent, description, note, control.cancelSignal);
    await record.setBackup(backup.id);
    await options.onCreated?.({ backupId: backup.id, transferId: null });
    const ready = await deps.client.backups.waitForBackupReady(vm.id, backup.id, { signal: control.cancelSignal });
    const modes = new Map((await deps.client.backups.backupDisks(vm.id, backup.id, control.cancelSignal)).map((d) => [d.id, d.backupMode]));
    const incremental = ready.fromCheckpointId !== null && [...modes.values()].includes('incremental');
    const kind = incremental ? 'incremental' : 'full';
    const runName = await freeRunName(vmDir, started, kind);
    runDir = join(vmDir, runName);
    await mkdir(runDir);
    await record.setRun(runName);

    const entries: BackupDiskEntry[] = [];
    let bytesOnWire = 0;
    const sizes = vm.disks.map((d) => d.provisionedSize ?? 0);
    for (const [index, disk] of vm.disks.entries()) {
      const backing = modes.get(disk.id) === 'incremental' && ready.fromCheckpointId !== null ? await backingOf(disk, parent, vmDir, note) : null;
      const file = diskFileName(disk);
      const before = { done: sizes.slice(0, index).reduce((s, n) => s + n, 0), wire: bytesOnWire, data: entries.reduce((s, e) => s + e.dataBytes, 0) };
      const r = await downloadDisk(
        deps,
        { disk: disk.id, output: { file: join(runDir, file) }, resume: false, verify: request.verify ?? true, backup: { backupId: backup.id, disk, backingFile: backing } },
        {
          control,
          ...(options.tuning ? { tuning: options.tuning } : {}),
          ...(options.throttle ? { throttle: options.throttle } : {}),
          onProgress: (p) => options.onProgress?.({ disk: { id: disk.id, name: disk.name, index, count: vm.disks.length }, progress: p, total: totalOf(p, before, sizes, index) }),
          onCreated: async ({ transferId }) => {
            if (transferId === null) return;
            await record.addTransfer(transferId);
            await options.onCreated?.({ backupId: backup!.id, transferId });
          },
        },
      );
      bytesOnWire += r.bytesOnWire;
      entries.push(diskEntry(disk, file, backing, r));
    }

    const end = await finalizeBackup(deps, vm.id, backup.id, AbortSignal.timeout(15 * 60_000));
    if (end === 'failed') note(`The engine reported backup ${backup.id} as failed while ending it, after every disk was downloaded and checked; the next backup may have to be a full one.`);
    const engineVersion = await deps.client.version().then((v) => v.full, () => null);
    const manifest: BackupManifest = {
      format: 'diskferry-backup/1',
      kind,
      vm: { id: vm.id, name: vm.name },
      engine: { host: deps.client.engineHost, version: engineVersion },
      backupId: backup.id,
      snapshotId: ready.snapshotId,
      fromCheckpointId: incremental ? ready.fromCheckpointId : null,
      toCheckpointId: ready.toCheckpointId,
      parentRun: incremental ? parent!.name : null,
      startedAt: started.toISOString(),
      finishedAt: new Date(deps.now()).toISOString(),
      disks: entries,
      notes,
    };
    await writeManifest(runDir, manifest);
    manifestWritten = true;
    await record.end();
    const pruned = request.keep !== undefined ? await pruneVmFolder(vmDir, request.keep, { engine: request.removeCheckpoints ? deps : null, vmId: vm.id }) : null;
    return { manifest, runDir, vmDir, bytesOnWire, elapsedMs: deps.now() - started.getTime(), pruned };
  } catch (err) {
    if (manifestWritten) throw err; // only retention failed: the backup itself is done
    throw await abandon(deps, vm, backup, runDir, record, err, control);
  }
}

/** The run folder's name; a second run within the same second (or a clock set back) takes the next free second. */
async function freeRunName(vmDir: string, started: Date, kind: BackupManifest['kind']): Promise<string> {
  const taken = new Set((await listRuns(vmDir)).map((r) => r.name.replace(/-[a-z]+$/, '')));
  for (let t = started.getTime(); ; t += 1000) {
    const name = runFolderName(new Date(t), kind);
    if (!taken.has(name.replace(/-[a-z]+$/, ''))) return name;
  }
}

/** Starts the backup, incremental from the parent's checkpoint when there is one; a refused checkpoint falls back to full. */
async function startBackup(deps: TransferDeps, vm: VmWithDisks, parent: RunEntry | null, description: string, note: (n: string) => void, signal: AbortSignal): Promise<Backup> {
  const diskIds = vm.disks.map((d) => d.id);
  const from = parent?.manifest?.toCheckpointId ?? undefined;
  if (from === undefined) return deps.client.backups.startBackup(vm.id, { diskIds, description }, signal);
  try {
    return await deps.client.backups.startBackup(vm.id, { diskIds, description, fromCheckpointId: from }, signal);
  } catch (err) {
    if (!isCheckpointRejected(err)) throw err;
    note(`The engine refused checkpoint ${from} of the last backup (${parent!.name}): ${asDiskFerryError(err).engineText ?? errorMessage(err)}. This run is a full backup instead.`);
    return deps.client.backups.startBackup(vm.id, { diskIds, description }, signal);
  }
}

/** The backing file of an incremental disk: the parent run's file of the same disk, relative to the new file. */
async function backingOf(disk: Disk, parent: RunEntry | null, vmDir: string, note: (n: string) => void): Promise<string | null> {
  const entry = parent?.manifest?.disks.find((d) => d.id === disk.id);
  if (parent && entry) {
    const present = await stat(join(vmDir, parent.name, entry.file)).then((s) => s.isFile(), () => false);
    if (present) return `../${parent.name}/${entry.file}`;
  }
  note(`Disk '${disk.name}' has no file in the last backup${parent ? ` (${parent.name})` : ''} to build on: it was downloaded whole.`);
  return null;
}

function diskEntry(disk: Disk, file: string, backing: string | null, r: DownloadResult): BackupDiskEntry {
  const c = r.report.checksum;
  return {
    id: disk.id,
    alias: disk.name,
    file,
    virtualSize: r.virtualSize,
    mode: backing === null ? 'full' : 'incremental',
    backingFile: backing,
    dataBytes: r.dataBytes,
    digest: r.verified === true && c.server !== null ? { algorithm: c.algorithm, blockSize: c.blockSize, value: c.server } : null,
  };
}

/** The whole backup's progress from the current disk's and what the disks before it did. */
function totalOf(p: TransferProgress, before: { done: number; wire: number; data: number }, sizes: readonly number[], index: number): TransferProgress {
  const last = index === sizes.length - 1;
  return {
    ...p,
    bytesDone: before.done + p.bytesDone,
    bytesTotal: sizes.reduce((s, n) => s + n, 0),
    dataDone: before.data + p.dataDone,
    dataTotal: last && p.dataTotal !== null ? before.data + p.dataTotal : null,
    bytesOnWire: before.wire + p.bytesOnWire,
    etaSeconds: last ? p.etaSeconds : null,
  };
}

/**
 * After a failure: the disk's run already finalized its transfer; the backup is finalized (on a
 * signal of its own: also after Ctrl-C) and the unfinished run folder removed. A backup that cannot
 * be finalized now keeps the run's record, so the next run (or the queue's recovery) ends it.
 */
async function abandon(deps: TransferDeps, vm: VmWithDisks, backup: Backup | null, runDir: string | null, record: InProgress, err: unknown, control: TransferControl): Promise<DiskFerryError> {
  const e = control.cancelled ? new DiskFerryError('cancelled', 'The backup was cancelled.', { cause: err, retryable: false }) : asDiskFerryError(err);
  if (backup === null) {
    await record.end();
    return e;
  }
  try {
    await finalizeBackup(deps, vm.id, backup.id, AbortSignal.timeout(5 * 60_000));
  } catch (fin) {
    deps.log.warn('finalizing the failed backup did not complete', { backupId: backup.id, error: errorMessage(fin) });
    record.release();
    return new DiskFerryError(e.code, `${e.message} Backup ${backup.id} of VM '${vm.name}' could not be finalized now (${errorMessage(fin)}); the next backup of this VM finalizes it.`, { cause: e, retryable: e.retryable });
  }
  if (runDir !== null) await rm(runDir, { recursive: true, force: true });
  await record.end();
  return new DiskFerryError(e.code, `${e.message} Backup ${backup.id} of VM '${vm.name}' was finalized; nothing of this run was kept.`, { cause: e, retryable: e.retryable });
}
