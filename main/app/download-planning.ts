/**
 * `transfers:planDownloads`: what the chosen folder's file system can hold, so the download plan can
 * say before anything starts that a raw download to exFAT takes the disk's whole size, and how much
 * room there is. The run checks the same again (download-disk.ts): the plan only tells early.
 */
import type { DownloadPlan } from '../../shared/ipc.js';
import { freeBytes } from '../engine/fs/free-space.js';
import type { SparseFiles } from '../engine/os/sparse-files.js';

/** The plan of a download folder (unknown file system and free space when it does not exist). */
export async function planDownloads(folder: string, sparse: SparseFiles, free: (dir: string) => Promise<number | null> = freeBytes): Promise<DownloadPlan> {
  const [volume, available] = await Promise.all([sparse.volume(folder), free(folder)]);
  return { fileSystem: volume.fileSystem, sparse: volume.sparse, network: volume.network, freeBytes: available };
}
