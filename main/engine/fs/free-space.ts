/**
 * "Not enough free space" before a download writes anything: the bytes still to write (the data
 * the extents name, minus what a resumed `.part` already holds) against what the folder's file
 * system has free. Better to stop with the numbers than to fill the disk and pause half-way.
 */
import { statfs } from 'node:fs/promises';
import { formatBytes } from '../../../shared/format.js';
import { DiskFerryError } from '../errors.js';

/** Room kept free besides the data (file system metadata, the journal, other programs). */
export const FREE_SPACE_MARGIN = 64 * 1024 * 1024;

/** Bytes available to an unprivileged writer in the file system holding `dir`; null when unknown. */
export async function freeBytes(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    // statfs is missing on some platforms or file systems (network shares): do not guess.
    return null;
  }
}

/**
 * Throws `disk-full` when `needed` bytes (plus a margin) do not fit in `dir`; says how much is
 * missing, and `why` so many (a destination that cannot hold sparse files).
 */
export async function ensureFreeSpace(dir: string, needed: number, what: string, free: (dir: string) => Promise<number | null> = freeBytes, why?: string): Promise<void> {
  if (needed <= 0) return;
  const available = await free(dir);
  if (available === null || available >= needed + FREE_SPACE_MARGIN) return;
  // When the data alone fits, the margin is what is missing: said, or the numbers contradict the refusal.
  const margin = available >= needed ? ` and keeps ${formatBytes(FREE_SPACE_MARGIN)} free besides (for the file system and other programs)` : '';
  throw new DiskFerryError(
    'disk-full',
    `${what} needs about ${formatBytes(needed)} more${margin}, but ${dir} has ${formatBytes(available)} free.${why ? ` ${why}` : ''} Free some space or choose another folder.`,
    { retryable: false, subject: { kind: 'folder', name: dir }, needed },
  );
}
