/**
 * The backup set on disk and its manifest (docs/backup.md). One folder per VM, one folder per run,
 * one manifest per run; a person can read it, a script can use it, and the folder can be moved
 * because every backing file is named relative to the file that uses it:
 *
 *   <output>/<vm name>-<first 8 of vm id>/
 *     20261206T221500Z-full/         manifest.json, <disk alias>-<first 8 of disk id>.qcow2 …
 *     20261207T221500Z-incremental/  … each qcow2's backing file: ../20261206T221500Z-full/<same name>
 *     20261208T221500Z-snapshot/     (engines without the backup API, or when asked)
 *
 * The manifest is written last (atomically): a run folder without one is unfinished and is neither
 * restored from nor used as the parent of an incremental run.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../fs/atomic.js';
import { DiskFerryError } from '../errors.js';
import { readJsonFile } from '../fs/json-file.js';

export const MANIFEST_NAME = 'manifest.json';
export const MANIFEST_FORMAT = 'diskferry-backup/1';

/** A digest as imageio computes it (blkhash). */
export const digestSchema = z.object({ algorithm: z.string(), blockSize: z.number().int().positive().nullable(), value: z.string() });

export const backupDiskSchema = z.object({
  id: z.string(),
  alias: z.string(),
  /** The qcow2 file of this run, relative to the run folder. */
  file: z.string(),
  virtualSize: z.number().int().nonnegative(),
  /** How this run fetched the disk: all of it, only what changed since the parent run, or from a snapshot. */
  mode: z.enum(['full', 'incremental', 'snapshot']),
  /** The qcow2 header's backing file name, relative to `file` (e.g. `../<run>/<file>`); null for a full copy. */
  backingFile: z.string().nullable(),
  /** Guest data bytes fetched in this run (holes and unchanged areas are not counted). */
  dataBytes: z.number().int().nonnegative(),
  /** The digest of the guest content this file (with its chain) stands for, as the engine's imageio computed it. */
  digest: digestSchema.nullable(),
});

export const backupManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  kind: z.enum(['full', 'incremental', 'snapshot']),
  vm: z.object({ id: z.string(), name: z.string() }),
  engine: z.object({ host: z.string(), version: z.string().nullable() }),
  /** The engine's backup id (null for a snapshot run) and the snapshot used (hybrid or snapshot runs). */
  backupId: z.string().nullable(),
  snapshotId: z.string().nullable(),
  fromCheckpointId: z.string().nullable(),
  /** The checkpoint the next incremental run starts from; null when the engine made none. */
  toCheckpointId: z.string().nullable(),
  /** The run folder this one builds on (a sibling folder's name); null for a full or snapshot run. */
  parentRun: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string(),
  disks: z.array(backupDiskSchema),
  /** What the user should know about this run (e.g. "checkpoint unknown to the engine: fell back to a full backup"). */
  notes: z.array(z.string()),
});

export type BackupDiskEntry = z.infer<typeof backupDiskSchema>;
export type BackupManifest = z.infer<typeof backupManifestSchema>;

/** A run folder's name: UTC time stamp and kind, so names sort by time. */
export function runFolderName(startedAt: Date, kind: BackupManifest['kind']): string {
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${kind}`;
}

/** Writes the manifest of a finished run, atomically, as the last file of the run. */
export async function writeManifest(runDir: string, manifest: BackupManifest): Promise<void> {
  const checked = backupManifestSchema.parse(manifest);
  await writeFileAtomic(join(runDir, MANIFEST_NAME), `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o644 });
}

/** Reads a run's manifest; null when the run has none (unfinished). A manifest that is not ours is an error. */
export async function readManifest(runDir: string): Promise<BackupManifest | null> {
  const file = join(runDir, MANIFEST_NAME);
  return readJsonFile(file, backupManifestSchema, () => new DiskFerryError('bad-input', `${file} is not a DiskFerry backup manifest (${MANIFEST_FORMAT}); leave it alone or move it away.`, { retryable: false }));
}
