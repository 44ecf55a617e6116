/**
 * zod schemas of the engine's backup, checkpoint, snapshot and VM JSON (reference/backup.md §1–§3a)
 * and their parsers into backup-types.ts. A broken answer is a `protocol` error.
 */
import { z } from 'zod';
import { boolLike, intLike, lower, nullable, parseWith } from './schemas.js';
import type { Backup, BackupDisk, Checkpoint, DiskSnapshot, Snapshot, SnapshotDisk, Vm } from './backup-types.js';

const ref = z.object({ id: z.string().min(1) });
/** Epoch ms: a JSON number as the engine writes dates, or a numeric string. */
const date = nullable(intLike);

const vmSchema = z.object({ id: z.string().min(1), name: z.string(), status: nullable(lower), host: nullable(ref) });

const backupSchema = z.object({
  id: z.string().min(1),
  phase: lower,
  from_checkpoint_id: nullable(z.string()),
  to_checkpoint_id: nullable(z.string()),
  description: nullable(z.string()),
  creation_date: date,
  modification_date: date,
  vm: nullable(ref),
  host: nullable(ref),
  snapshot: nullable(ref),
});

const backupDiskSchema = z.object({
  id: z.string().min(1),
  name: nullable(z.string()),
  alias: nullable(z.string()),
  image_id: nullable(z.string()),
  format: z.enum(['raw', 'cow']),
  provisioned_size: nullable(intLike),
  backup_mode: nullable(z.enum(['full', 'incremental'])),
});

const checkpointSchema = z.object({
  id: z.string().min(1),
  parent_id: nullable(z.string()),
  creation_date: date,
  state: nullable(lower),
  description: nullable(z.string()),
});

const snapshotSchema = z.object({
  id: z.string().min(1),
  description: nullable(z.string()),
  snapshot_status: nullable(lower),
  snapshot_type: nullable(lower),
  persist_memorystate: nullable(boolLike),
  date,
});

const diskSnapshotSchema = z.object({
  id: z.string().min(1),
  disk: nullable(ref),
  snapshot: nullable(ref),
  parent: nullable(ref),
  format: nullable(z.enum(['raw', 'cow'])),
  actual_size: nullable(intLike),
});

/** One VM. */
export function parseVm(json: unknown): Vm {
  const v = parseWith(vmSchema, json, 'a VM request');
  return { id: v.id, name: v.name, status: v.status, hostId: v.status === 'down' ? null : (v.host?.id ?? null) };
}

/** One backup. */
export function parseBackup(json: unknown): Backup {
  const b = parseWith(backupSchema, json, 'a VM backup request');
  return {
    id: b.id,
    vmId: b.vm?.id ?? null,
    phase: b.phase,
    fromCheckpointId: b.from_checkpoint_id,
    toCheckpointId: b.to_checkpoint_id,
    description: b.description,
    createdAt: b.creation_date,
    modifiedAt: b.modification_date,
    hostId: b.host?.id ?? null,
    snapshotId: b.snapshot?.id ?? null,
  };
}

/** One disk of a backup. */
export function parseBackupDisk(json: unknown): BackupDisk {
  const d = parseWith(backupDiskSchema, json, "a VM backup's disk list");
  return { id: d.id, name: d.name ?? d.alias ?? '', format: d.format, provisionedSize: d.provisioned_size, backupMode: d.backup_mode };
}

/** One checkpoint. */
export function parseCheckpoint(json: unknown): Checkpoint {
  const c = parseWith(checkpointSchema, json, 'a checkpoint request');
  return { id: c.id, parentId: c.parent_id, createdAt: c.creation_date, state: c.state, description: c.description };
}

/** One snapshot. */
export function parseSnapshot(json: unknown): Snapshot {
  const s = parseWith(snapshotSchema, json, 'a snapshot request');
  return { id: s.id, description: s.description, status: s.snapshot_status, type: s.snapshot_type, persistMemory: s.persist_memorystate, createdAt: s.date };
}

/** One disk of a snapshot; a disk without `image_id` cannot be downloaded from it and is a broken answer. */
export function parseSnapshotDisk(json: unknown): SnapshotDisk {
  const d = parseWith(backupDiskSchema.extend({ image_id: z.string().min(1) }), json, "a snapshot's disk list");
  return { diskId: d.id, volumeId: d.image_id, name: d.name ?? d.alias ?? '', format: d.format, provisionedSize: d.provisioned_size };
}

/** One volume of a disk's chain. */
export function parseDiskSnapshot(json: unknown): DiskSnapshot {
  const v = parseWith(diskSnapshotSchema, json, "a disk's snapshot list");
  return { volumeId: v.id, diskId: v.disk?.id ?? null, snapshotId: v.snapshot?.id ?? null, parentId: v.parent?.id ?? null, format: v.format, actualSize: v.actual_size };
}
