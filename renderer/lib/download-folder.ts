/**
 * What the download plan says about its folder, from the core's answer (`transfers:planDownloads`):
 * a file system that cannot hold sparse files (raw downloads take their whole size there), and the
 * free space, with a way out when the disks cannot fit.
 */
import type { DownloadPlan, OutputFormat } from '../../shared/ipc.js';

/** One line of the plan: an i18n key and its values (sizes in bytes, formatted by the sheet). */
export interface FolderNote {
  readonly key: 'download.notSparse' | 'download.mayNotSparse' | 'download.freeSpace' | 'download.tooSmall';
  readonly fs?: string;
  readonly bytes: number;
  readonly warning: boolean;
}

/**
 * The folder's notes for disks of `total` provisioned bytes. Only a raw download on a file system
 * without sparse files has a known footprint (all of it); elsewhere only the data is written, which
 * the plan does not know yet, so it shows the free space without judging it.
 */
export function folderNotes(plan: DownloadPlan | null, format: OutputFormat, total: number): FolderNote[] {
  if (!plan) return [];
  const out: FolderNote[] = [];
  const whole = !plan.sparse && format === 'raw';
  if (whole) out.push({ key: plan.network ? 'download.mayNotSparse' : 'download.notSparse', fs: plan.fileSystem ?? '?', bytes: total, warning: true });
  if (plan.freeBytes !== null) {
    if (whole && plan.freeBytes < total) out.push({ key: 'download.tooSmall', bytes: plan.freeBytes, warning: true });
    else out.push({ key: 'download.freeSpace', bytes: plan.freeBytes, warning: false });
  }
  return out;
}
