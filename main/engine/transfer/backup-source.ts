/** A disk of a VM backup as a download reads it (main/engine/backup/): the backup, the disk, the backing file. */
import type { Disk } from '../ovirt/types.js';

/** Where a backup's disk comes from, and what its file builds on. */
export interface BackupSource {
  /** The VM backup, `ready`. */
  readonly backupId: string;
  /** The disk as the engine describes it (a legacy backup locks it: it is not checked for `ok`). */
  readonly disk: Disk;
  /**
   * An incremental disk: only what changed since the backup's checkpoint (imageio's dirty extents)
   * is fetched, on top of this backing file, named relative to the output file; null: the whole disk.
   */
  readonly backingFile: string | null;
}

/** Why an incremental backup's file is not compared with the server's checksum. */
export const INCREMENTAL_NOT_VERIFIED = 'not verified: an incremental backup holds only the changed blocks, and the server checksums the whole disk';
