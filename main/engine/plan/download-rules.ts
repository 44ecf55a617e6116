/**
 * The rules of a download, each decided here once: the format of the saved file (sparse raw unless
 * qcow2 is asked), its name (the template, by default the disk's name with the format's extension;
 * shared/file-names.ts, where "/" makes folders), where it goes, what happens when a file of that name exists, and which
 * output folders can take it. The app, the CLI, the queue's runner and the run itself ask these functions.
 */
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, relative } from 'node:path';
import { DEFAULT_NAME_TEMPLATE, expandTemplate } from '../../../shared/file-names.js';
import type { OutputFormat } from '../../../shared/model.js';
import type { ExistingFilePolicy } from '../../../shared/schemas/common.js';
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
  const kind = await stat(dir).then((s) => (s.isDirectory() ? 'folder' : 'other'), () => 'none');
  if (kind === 'other') throw new DiskFerryError('bad-input', `${named} is a file, not a folder: downloads go into a folder. Choose the folder it is in, or another.`, { retryable: false });
  if (kind === 'none') throw new DiskFerryError('bad-input', `${named} is not an existing folder. Create it, or choose another.`, { retryable: false });
  if (!(await access(dir, constants.W_OK).then(() => true, () => false)))
    throw new DiskFerryError('bad-input', `${named} is a folder you cannot write to. Choose another, or fix its permissions.`, { retryable: false });
}

/**
 * Makes the folders a name template put between the output folder `root` and the file (`{vm}/{disk}`:
 * one per VM), when the download starts. The output folder itself is never made: one that is gone
 * (an unmounted drive) is an error that says so, not a new empty folder on the mount point.
 */
export async function ensureDownloadFolders(root: string, file: string): Promise<void> {
  const inside = relative(root, dirname(file));
  if (inside.startsWith('..') || isAbsolute(inside))
    throw new DiskFerryError('bad-input', `${file} is not inside the output folder ${root}; a name template cannot leave it.`, { retryable: false });
  await checkOutputFolder(root, `The output folder ${root}`);
  if (inside !== '') await mkdir(dirname(file), { recursive: true });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Where the download goes, following the policy for an existing complete file (the window's choice,
 * the command line's --if-exists): `overwrite` reuses the name, `rename` adds " (2)", " (3)"…, `skip`
 * answers null. A `.part` file (an interrupted download) keeps its name so the download resumes:
 * always when the complete file is not there, and with `overwrite` when it is (an interrupted
 * overwrite); `rename` then takes a new name and `skip` keeps the complete file (both were refused
 * with an error naming those very options). `taken` holds names already chosen in this batch.
 */
export async function targetPath(folder: string, fileName: string, policy: ExistingFilePolicy, taken: ReadonlySet<string>): Promise<{ path: string; overwrite: boolean } | null> {
  const first = join(folder, fileName);
  if (!taken.has(first) && !(await exists(first))) return { path: first, overwrite: false };
  if (policy === 'skip') return null;
  if (policy === 'overwrite' && !taken.has(first)) return { path: first, overwrite: true };
  const ext = extname(fileName);
  const stem = fileName.slice(0, fileName.length - ext.length);
  for (let n = 2; n < 10_000; n++) {
    const candidate = join(folder, `${stem} (${n})${ext}`);
    if (!taken.has(candidate) && !(await exists(candidate)) && !(await exists(`${candidate}.part`))) return { path: candidate, overwrite: false };
  }
  return null;
}
