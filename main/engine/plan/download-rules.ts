/**
 * The rules of a download, each decided here once: the format of the saved file (sparse raw unless
 * qcow2 is asked), its name (the template, by default the disk's name with the format's extension;
 * shared/file-names.ts), where it goes, and which output folders can take it. The app, the CLI, the
 * queue's runner and the run itself ask these functions.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_NAME_TEMPLATE, expandTemplate } from '../../../shared/file-names.js';
import type { OutputFormat } from '../../../shared/model.js';
import { DiskFerryError } from '../errors.js';
import type { Disk } from '../ovirt/types.js';

/** The saved file's format when nobody chose one: sparse raw. */
export const DEFAULT_OUTPUT_FORMAT: OutputFormat = 'raw';

/** The file name of a disk by the default template. */
export function downloadFileName(disk: Pick<Disk, 'name' | 'id'>, format: OutputFormat = DEFAULT_OUTPUT_FORMAT): string {
  return expandTemplate(DEFAULT_NAME_TEMPLATE, { disk: disk.name, id: disk.id, vm: null, ext: format, now: 0 });
}

/** Where a download goes: the exact file, or the disk's file name in the folder. */
export function downloadPath(output: { readonly file: string } | { readonly dir: string }, disk: Pick<Disk, 'name' | 'id'>, format: OutputFormat = DEFAULT_OUTPUT_FORMAT): string {
  return 'file' in output ? output.file : join(output.dir, downloadFileName(disk, format));
}

/**
 * Throws bad-input, in words, unless `dir` is an existing folder this process can write to: checked
 * before anything is queued or a transfer locks the disk. `named` is how the message names it.
 */
export async function checkOutputFolder(dir: string, named = dir): Promise<void> {
  const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (!isDir) throw new DiskFerryError('bad-input', `${named} is not an existing folder. Create it, or choose another.`, { retryable: false });
  if (!(await access(dir, constants.W_OK).then(() => true, () => false)))
    throw new DiskFerryError('bad-input', `${named} is a folder you cannot write to. Choose another, or fix its permissions.`, { retryable: false });
}
