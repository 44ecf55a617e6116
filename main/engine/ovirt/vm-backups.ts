/**
 * The engine calls of VM backups (reference/backup.md §3, §16): a VM, start a backup, read and wait
 * for its phases, its disks and their modes, finalize; the checkpoint chain and its removal; VM
 * snapshots (create without memory, wait, their disks' point-in-time volumes, remove) and a disk's
 * volume chain. Reached as `OvirtClient.backups`; the backup feature builds on it.
 */
import { DiskFerryError } from '../errors.js';
import type { ApiCall } from './engine-connection.js';
import { parseBackup, parseBackupDisk, parseCheckpoint, parseDiskSnapshot, parseSnapshot, parseSnapshotDisk, parseVm } from './backup-schemas.js';
import type { Backup, BackupDisk, Checkpoint, DiskSnapshot, Snapshot, SnapshotDisk, Vm } from './backup-types.js';
import { parseCollection } from './schemas.js';
import { wait } from './timing.js';
import type { WaitDeps } from './transfer-waits.js';
import type { EngineVersion } from './types.js';
import { supportsBackupApi, supportsCheckpoints, supportsDiskSnapshotList, supportsHybridBackup } from './versions.js';

/** What a backup starts with. */
export interface BackupSpec {
  readonly diskIds: readonly string[];
  /** An incremental backup from this checkpoint (4.4+); absent: full. */
  readonly fromCheckpointId?: string;
  readonly description?: string;
  /** On 4.5: the non-snapshot (legacy) mode instead of the default hybrid one. */
  readonly legacy?: boolean;
}

/** A new VM snapshot. */
export interface SnapshotSpec {
  readonly description: string;
  /** Only these disks (default: all of the VM's disks). */
  readonly diskIds?: readonly string[];
  /** Save the memory of a running VM too (default false: a disk-only snapshot). */
  readonly persistMemory?: boolean;
}

/** Options of a wait. */
export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal | undefined;
}

const DEFAULT_READY_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_END_TIMEOUT_MS = 10 * 60_000;

const seg = (id: string) => encodeURIComponent(id);

/**
 * True when the engine refused an incremental backup's from-checkpoint (unknown, invalid, or
 * incremental backups off): the caller falls back to a full backup and says so.
 */
export function isCheckpointRejected(err: unknown): boolean {
  return (
    err instanceof DiskFerryError &&
    err.code === 'engine-fault' &&
    err.status === 400 &&
    /Checkpoint ID \S+ (doesn't exist|is invalid)|Incremental backup is not supported|not included in the previous VM backup/.test(err.message)
  );
}

/** See the file comment. */
export class VmBackupApi {
  constructor(
    private readonly api: (c: ApiCall) => Promise<unknown>,
    private readonly version: (signal?: AbortSignal) => Promise<EngineVersion>,
    private readonly waits: WaitDeps,
  ) {}

  /** One VM; null when the engine does not know it. */
  async vm(id: string, signal?: AbortSignal): Promise<Vm | null> {
    const json = await this.api({ method: 'GET', path: `/vms/${seg(id)}`, what: `Reading VM ${id}`, signal, allow404: true });
    return json === null ? null : parseVm(json);
  }

  /** Starts a backup of some of a VM's disks; the answer is `initializing` (legacy) or `starting` (hybrid). */
  async startBackup(vmId: string, spec: BackupSpec, signal?: AbortSignal): Promise<Backup> {
    if (spec.diskIds.length === 0) throw new DiskFerryError('bad-input', 'A backup needs at least one disk.');
    const v = await this.version(signal);
    if (!supportsBackupApi(v)) throw new DiskFerryError('bad-input', `Engine ${v.full} has no VM backup API; that needs oVirt 4.3 or later. Download a snapshot of the VM instead.`);
    if (spec.fromCheckpointId !== undefined && !supportsCheckpoints(v))
      throw new DiskFerryError('bad-input', `Engine ${v.full} has no checkpoints, so it cannot make incremental backups; that needs oVirt 4.4 or later.`);
    const body: Record<string, unknown> = { disks: { disk: spec.diskIds.map((id) => ({ id })) } };
    if (spec.fromCheckpointId !== undefined) body['from_checkpoint_id'] = spec.fromCheckpointId;
    if (spec.description !== undefined) body['description'] = spec.description;
    // A bare ?legacy means false to the engine: send the value.
    const query = spec.legacy && supportsHybridBackup(v) ? { legacy: 'true' } : undefined;
    const kind = spec.fromCheckpointId === undefined ? 'full' : 'incremental';
    const json = await this.api({ method: 'POST', path: `/vms/${seg(vmId)}/backups`, query, body, what: `Starting a ${kind} backup of VM ${vmId}`, signal });
    return parseBackup(json);
  }

  /** One backup; null once the engine no longer knows it (finished ones stay 15/30 min from 4.4.7). */
  async backup(vmId: string, backupId: string, signal?: AbortSignal): Promise<Backup | null> {
    const json = await this.api({ method: 'GET', path: `/vms/${seg(vmId)}/backups/${seg(backupId)}`, what: `Reading backup ${backupId}`, signal, allow404: true });
    return json === null ? null : parseBackup(json);
  }

  /** The VM's backups the engine still lists. */
  async backups(vmId: string, signal?: AbortSignal): Promise<Backup[]> {
    const json = await this.api({ method: 'GET', path: `/vms/${seg(vmId)}/backups`, what: `Listing the backups of VM ${vmId}`, signal });
    return parseCollection(json, 'backup', 'the backup list', parseBackup, (err) => this.waits.log.warn('skipping a backup the client cannot read', { error: err.message }));
  }

  /** The disks of a backup with their mode (`incremental` ones are read through dirty extents). */
  async backupDisks(vmId: string, backupId: string, signal?: AbortSignal): Promise<BackupDisk[]> {
    const json = await this.api({ method: 'GET', path: `/vms/${seg(vmId)}/backups/${seg(backupId)}/disks`, what: `Listing the disks of backup ${backupId}`, signal });
    return parseCollection(json, 'disk', "the backup's disk list", parseBackupDisk, (err) => {
      throw err; // a disk we cannot read would be silently left out of the backup
    });
  }

  /** Polls until `ready`; a backup that failed, ended or vanished is an error that says where to look. */
  waitForBackupReady(vmId: string, backupId: string, o: WaitOptions = {}): Promise<Backup> {
    return this.poll(`Waiting for backup ${backupId} of VM ${vmId} to be ready`, o.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS, o.signal, async (signal) => {
      const b = await this.backup(vmId, backupId, signal);
      if (b?.phase === 'ready') return b;
      if (b === null || b.phase === 'failed' || b.phase === 'succeeded')
        throw new DiskFerryError('engine-fault', `The engine ended backup ${backupId} of VM ${vmId} before it was ready (${b?.phase ?? 'gone'}). Check the engine's events for the reason, then start the backup again.`, {
          retryable: false,
        });
      return undefined;
    });
  }

  /** `finalize`: ends the backup (also after errors). Asking again while it ends is not an error. */
  async finalizeBackup(vmId: string, backupId: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.api({ method: 'POST', path: `/vms/${seg(vmId)}/backups/${seg(backupId)}/finalize`, body: {}, what: `Finalizing backup ${backupId} of VM ${vmId}`, signal });
    } catch (err) {
      if (err instanceof DiskFerryError && err.status === 400 && /is already (in '[A-Z_]+' phase|stopped)/.test(err.message)) return;
      throw err;
    }
  }

  /** Polls until the backup has ended: `succeeded`, `failed`, or `gone` (engines before 4.4.7 drop the row). */
  waitForBackupEnd(vmId: string, backupId: string, o: WaitOptions = {}): Promise<'succeeded' | 'failed' | 'gone'> {
    return this.poll(`Waiting for backup ${backupId} of VM ${vmId} to end`, o.timeoutMs ?? DEFAULT_END_TIMEOUT_MS, o.signal, async (signal) => {
      const b = await this.backup(vmId, backupId, signal);
      if (b === null) return 'gone' as const;
      if (b.phase === 'succeeded') return 'succeeded' as const;
      return b.phase === 'failed' ? ('failed' as const) : undefined;
    });
  }

  /** The VM's checkpoint chain, root first (4.4+; older engines have none). */
  async checkpoints(vmId: string, signal?: AbortSignal): Promise<Checkpoint[]> {
    if (!supportsCheckpoints(await this.version(signal))) return [];
    const json = await this.api({ method: 'GET', path: `/vms/${seg(vmId)}/checkpoints`, what: `Listing the checkpoints of VM ${vmId}`, signal });
    return parseCollection(json, 'checkpoint', 'the checkpoint list', parseCheckpoint, (err) => this.waits.log.warn('skipping a checkpoint the client cannot read', { error: err.message }));
  }

  /** Removes a checkpoint (asynchronous; see waitForCheckpointGone). An unknown one is not an error. */
  async deleteCheckpoint(vmId: string, checkpointId: string, signal?: AbortSignal): Promise<void> {
    await this.api({ method: 'DELETE', path: `/vms/${seg(vmId)}/checkpoints/${seg(checkpointId)}`, what: `Removing checkpoint ${checkpointId} of VM ${vmId}`, signal, allow404: true });
  }

  /** Polls until the checkpoint is gone: true when gone, false at the deadline. */
  waitForCheckpointGone(vmId: string, checkpointId: string, o: WaitOptions = {}): Promise<boolean> {
    return this.poll(`Waiting for checkpoint ${checkpointId} to be removed`, o.timeoutMs ?? DEFAULT_END_TIMEOUT_MS, o.signal, async (signal) => {
      const json = await this.api({ method: 'GET', path: `/vms/${seg(vmId)}/checkpoints/${seg(checkpointId)}`, what: `Reading checkpoint ${checkpointId}`, signal, allow404: true });
      return json === null ? true : undefined;
    }, false);
  }

  /** Takes a VM snapshot, disk-only unless asked; it is `locked` until the engine is done (waitForSnapshotReady). */
  async createSnapshot(vmId: string, spec: SnapshotSpec, signal?: AbortSignal): Promise<Snapshot> {
    if (spec.description.trim() === '') throw new DiskFerryError('bad-input', 'A snapshot needs a description.');
    const body: Record<string, unknown> = { description: spec.description, persist_memorystate: spec.persistMemory ?? false };
    if (spec.diskIds !== undefined) body['disk_attachments'] = { disk_attachment: spec.diskIds.map((id) => ({ disk: { id } })) };
    const json = await this.api({ method: 'POST', path: `/vms/${seg(vmId)}/snapshots`, body, what: `Taking a snapshot of VM ${vmId}`, signal });
    return parseSnapshot(json);
  }

  /** One snapshot; null when the engine does not know it. */
  async snapshot(vmId: string, snapshotId: string, signal?: AbortSignal): Promise<Snapshot | null> {
    const json = await this.api({ method: 'GET', path: `/vms/${seg(vmId)}/snapshots/${seg(snapshotId)}`, what: `Reading snapshot ${snapshotId}`, signal, allow404: true });
    return json === null ? null : parseSnapshot(json);
  }

  /** The VM's snapshots, the "Active VM" one included (type `active`). */
  async snapshots(vmId: string, signal?: AbortSignal): Promise<Snapshot[]> {
    const json = await this.api({ method: 'GET', path: `/vms/${seg(vmId)}/snapshots`, what: `Listing the snapshots of VM ${vmId}`, signal });
    return parseCollection(json, 'snapshot', 'the snapshot list', parseSnapshot, (err) => this.waits.log.warn('skipping a snapshot the client cannot read', { error: err.message }));
  }

  /** Polls until the snapshot is `ok`; one that vanishes means the engine failed to take it. */
  waitForSnapshotReady(vmId: string, snapshotId: string, o: WaitOptions = {}): Promise<Snapshot> {
    return this.poll(`Waiting for snapshot ${snapshotId} of VM ${vmId}`, o.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS, o.signal, async (signal) => {
      const s = await this.snapshot(vmId, snapshotId, signal);
      if (s === null)
        throw new DiskFerryError('engine-fault', `The engine removed snapshot ${snapshotId} of VM ${vmId}: taking it failed. Check the engine's events, then try again.`, { retryable: false });
      return s.status === 'ok' ? s : undefined;
    });
  }

  /** The disks of a snapshot with their point-in-time volume ids (the transfer's `snapshot` target). */
  async snapshotDisks(vmId: string, snapshotId: string, signal?: AbortSignal): Promise<SnapshotDisk[]> {
    const json = await this.api({ method: 'GET', path: `/vms/${seg(vmId)}/snapshots/${seg(snapshotId)}/disks`, what: `Listing the disks of snapshot ${snapshotId}`, signal });
    return parseCollection(json, 'disk', "the snapshot's disk list", parseSnapshotDisk, (err) => {
      throw err;
    });
  }

  /** A disk's volume chain, base first (4.4.3+). */
  async diskSnapshots(diskId: string, o: { includeActive?: boolean; signal?: AbortSignal } = {}): Promise<DiskSnapshot[]> {
    const v = await this.version(o.signal);
    if (!supportsDiskSnapshotList(v)) throw new DiskFerryError('bad-input', `Engine ${v.full} cannot list a disk's snapshots; that needs oVirt 4.4.3 or later. Use the VM's snapshot disks instead.`);
    const query = o.includeActive ? { include_active: 'true' } : undefined;
    const json = await this.api({ method: 'GET', path: `/disks/${seg(diskId)}/disksnapshots`, query, what: `Listing the snapshots of disk ${diskId}`, signal: o.signal });
    return parseCollection(json, 'disk_snapshot', "the disk's snapshot list", parseDiskSnapshot, (err) => this.waits.log.warn('skipping a disk snapshot the client cannot read', { error: err.message }));
  }

  /** Removes a snapshot (a live merge; see waitForSnapshotGone). An unknown one is not an error. */
  async deleteSnapshot(vmId: string, snapshotId: string, signal?: AbortSignal): Promise<void> {
    await this.api({ method: 'DELETE', path: `/vms/${seg(vmId)}/snapshots/${seg(snapshotId)}`, what: `Removing snapshot ${snapshotId} of VM ${vmId}`, signal, allow404: true });
  }

  /** Polls until the snapshot is gone: true when gone, false at the deadline. */
  waitForSnapshotGone(vmId: string, snapshotId: string, o: WaitOptions = {}): Promise<boolean> {
    return this.poll(`Waiting for snapshot ${snapshotId} to be removed`, o.timeoutMs ?? DEFAULT_END_TIMEOUT_MS, o.signal, async (signal) => ((await this.snapshot(vmId, snapshotId, signal)) === null ? true : undefined), false);
  }

  /** Calls `read` every poll interval until it returns a value; at the deadline returns `onTimeout`, or throws `timeout`. */
  private async poll<T>(what: string, timeoutMs: number, signal: AbortSignal | undefined, read: (signal: AbortSignal) => Promise<T | undefined>, onTimeout?: T): Promise<T> {
    const s = signal ?? new AbortController().signal;
    const deadline = this.waits.now() + timeoutMs;
    for (;;) {
      const value = await read(s);
      if (value !== undefined) return value;
      if (this.waits.now() >= deadline) {
        if (onTimeout !== undefined) return onTimeout;
        throw new DiskFerryError('timeout', `${what}: still not done after ${Math.round(timeoutMs / 1000)} s. Check the engine's tasks and events, then try again.`);
      }
      await wait(this.waits.timers, this.waits.pollIntervalMs, s, what);
    }
  }
}
