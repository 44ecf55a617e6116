/**
 * A snapshot backup of a VM (reference/backup.md §12), for engines without the backup API (4.3) or
 * when asked: take a disk-only snapshot, wait until it is ok, download each disk's point-in-time
 * volume — the disk as it was at the snapshot, collapsed (`format=raw` over NBD) — as a full qcow2
 * into a run folder of the backup set (manifest.ts, kind `snapshot`), write the manifest last, and
 * always remove the snapshot: after errors too, and after a crash through the pending record
 * (snapshot-pending.ts) written before the snapshot is asked for.
 */
import { diskFileName, vmFolderName } from './set.js';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DiskFerryError, asDiskFerryError, errorMessage } from '../errors.js';
import type { TransferProgress } from '../../../shared/model.js';
import { supportsFormat } from '../ovirt/versions.js';
import type { TransferControl } from '../transfer/control.js';
import type { TransferDeps, TransferOptions, TransferTuning } from '../transfer/deps.js';
import { downloadDisk, type DownloadResult } from '../transfer/download-disk.js';
import { runFolderName, writeManifest, type BackupDiskEntry, type BackupManifest } from './manifest.js';
import { findVm } from './restore.js';
import { PendingSnapshots, removeRunSnapshot, sweepPendingSnapshots } from './snapshot-pending.js';

/** What a snapshot backup does. */
export interface SnapshotBackupOptions {
  /** VM id or exact name. */
  readonly vm: string;
  /** The backup set's root: the run goes to `<output>/<vm name>-<first 8 of vm id>/<time>-snapshot/`. */
  readonly output: string;
  /** Only these of the VM's disks (ids); default: all of them. */
  readonly diskIds?: readonly string[];
  /** The folder of pending snapshot records (the CLI: `<config>/pending-snapshots`). */
  readonly pendingDir: string;
  /** Compare each disk's blkhash with the server's (default true). */
  readonly verify?: boolean;
  readonly control?: TransferControl;
  readonly tuning?: TransferTuning;
  readonly throttle?: TransferOptions['throttle'];
  /** Progress of the disk being downloaded (its alias). */
  readonly onProgress?: (disk: string, p: TransferProgress) => void;
  /** Wraps each disk's download (the CLI records its transfer in the ledger with these hooks). */
  readonly wrapDownload?: <T>(run: (hooks: Pick<TransferOptions, 'beforeTransfer' | 'onCreated'>) => Promise<T>) => Promise<T>;
  /** How long to wait for the engine to take and to remove the snapshot (default 10 min each). */
  readonly snapshotTimeoutMs?: number;
}

/** What a snapshot backup made. */
export interface SnapshotBackupResult {
  readonly runDir: string;
  readonly manifest: BackupManifest;
  /** Per disk, what its download did. */
  readonly downloads: readonly DownloadResult[];
  /** What the user should know (snapshots of earlier runs removed, …). */
  readonly notes: readonly string[];
}

const DEFAULT_SNAPSHOT_TIMEOUT_MS = 10 * 60_000;

/** See the file comment. The `backup --snapshot` command calls this. */
export async function runSnapshotBackup(deps: TransferDeps, o: SnapshotBackupOptions): Promise<SnapshotBackupResult> {
  const { client, log } = deps;
  const signal = o.control?.cancelSignal;
  const timeoutMs = o.snapshotTimeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS;
  const pending = new PendingSnapshots(o.pendingDir);
  const notes = await sweepPendingSnapshots(client, pending, { timeoutMs, ...(signal ? { signal } : {}) });
  for (const n of notes) log.info(n);

  const version = await client.version(signal);
  if (!supportsFormat(version))
    throw new DiskFerryError('bad-input', `This engine (${version.full}) cannot download a snapshot as guest data; snapshot backups need oVirt 4.3 or later. Shut the VM down and download its disks instead.`, { retryable: false });
  const vm = await findVm(deps, o.vm, signal);
  const attached = (await client.vms(signal ? { signal } : {})).find((v) => v.id === vm.id)?.diskIds ?? [];
  const diskIds = o.diskIds ?? attached;
  const stranger = diskIds.filter((id) => !attached.includes(id));
  if (stranger.length > 0) throw new DiskFerryError('bad-input', `Disk ${stranger.join(', ')} is not attached to VM ${vm.name}; a snapshot covers the VM's own disks only.`, { retryable: false });
  if (diskIds.length === 0) throw new DiskFerryError('bad-input', `VM ${vm.name} has no disks to back up.`, { retryable: false });

  const started = new Date(deps.now());
  const runName = runFolderName(started, 'snapshot');
  const runDir = join(o.output, vmFolderName(vm), runName);
  await mkdir(runDir, { recursive: true });
  const description = `DiskFerry backup ${runName}`;
  const record = pending.create({ engine: client.engineHost, vmId: vm.id, vmName: vm.name, description, runDir });
  await pending.write(record);

  let snapshotId: string | null = null;
  let result: SnapshotBackupResult | null = null;
  let failure: unknown = null;
  try {
    const snapshot = await client.backups.createSnapshot(vm.id, { description, diskIds, persistMemory: false }, signal);
    snapshotId = snapshot.id;
    await pending.write({ ...record, snapshotId });
    log.info('snapshot taken', { vm: vm.name, snapshotId });
    await client.backups.waitForSnapshotReady(vm.id, snapshot.id, { timeoutMs, signal });
    const volumes = await client.backups.snapshotDisks(vm.id, snapshot.id, signal);
    const downloads: DownloadResult[] = [];
    const entries: BackupDiskEntry[] = [];
    for (const diskId of diskIds) {
      const volume = volumes.find((v) => v.diskId === diskId);
      if (!volume) throw new DiskFerryError('engine-fault', `The engine's snapshot of VM ${vm.name} has no volume of disk ${diskId}. Nothing was kept; try again.`, { retryable: false });
      const file = diskFileName({ id: diskId, name: volume.name });
      const download = (hooks: Pick<TransferOptions, 'beforeTransfer' | 'onCreated'>) =>
        downloadDisk(
          deps,
          { disk: diskId, output: { file: join(runDir, file) }, format: 'qcow2', snapshotVolumeId: volume.volumeId, resume: false, verify: o.verify ?? true },
          {
            ...(o.control ? { control: o.control } : {}),
            ...(o.tuning ? { tuning: o.tuning } : {}),
            ...(o.throttle ? { throttle: o.throttle } : {}),
            ...(o.onProgress ? { onProgress: (p: TransferProgress) => o.onProgress!(volume.name, p) } : {}),
            ...hooks,
          },
        );
      const r = o.wrapDownload ? await o.wrapDownload(download) : await download({});
      downloads.push(r);
      const c = r.report.checksum;
      entries.push({
        id: diskId,
        alias: volume.name,
        file,
        virtualSize: r.virtualSize,
        mode: 'snapshot',
        backingFile: null,
        dataBytes: r.dataBytes,
        digest: r.digest === null ? null : { algorithm: c.algorithm, blockSize: c.blockSize, value: r.digest },
      });
    }
    const manifest: BackupManifest = {
      format: 'diskferry-backup/1',
      kind: 'snapshot',
      vm: { id: vm.id, name: vm.name },
      engine: { host: client.engineHost, version: version.full },
      backupId: null,
      snapshotId: snapshot.id,
      fromCheckpointId: null,
      toCheckpointId: null,
      parentRun: null,
      startedAt: started.toISOString(),
      finishedAt: new Date(deps.now()).toISOString(),
      disks: entries,
      notes: [],
    };
    result = { runDir, manifest, downloads, notes };
  } catch (err) {
    failure = err;
  }

  // Always: the snapshot goes, whatever happened (the pending record stays until it is gone).
  const removal = await removeRunSnapshot(client, { vmId: vm.id, snapshotId, description }, { timeoutMs }).then(
    (gone) => (gone ? null : 'the engine was still merging it at the deadline'),
    (err: unknown) => errorMessage(err),
  );
  if (removal === null) await pending.remove(record.key);
  const left = removal === null ? '' : ` The snapshot '${description}' of VM ${vm.name} could not be removed (${removal}); the next backup or 'diskferry transfers clean' removes it.`;
  if (failure !== null || result === null) {
    await rm(runDir, { recursive: true, force: true }).catch(() => {});
    const e = asDiskFerryError(failure);
    throw new DiskFerryError(e.code, `${e.message} The snapshot backup of VM ${vm.name} did not complete; its run folder was removed.${removal === null && snapshotId !== null ? ' The snapshot was removed.' : left}`, { cause: e, retryable: e.retryable });
  }
  if (removal !== null) result = { ...result, manifest: { ...result.manifest, notes: [...result.manifest.notes, left.trim()] } };
  // The manifest last: a run folder with one is finished (and now holds no snapshot to forget).
  await writeManifest(runDir, { ...result.manifest, finishedAt: new Date(deps.now()).toISOString() });
  return result;
}
