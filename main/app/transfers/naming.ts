/** Where a download goes: the existing-file policy. The names come from shared/file-names.ts. */
import { stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { ExistingFilePolicy } from '../../../shared/ipc.js';

export { expandTemplate, safeFileName, type NameFields } from '../../../shared/file-names.js';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Where the download goes, following the policy for an existing complete file: `overwrite` reuses
 * the name, `rename` adds " (2)", " (3)"…, `skip` answers null. A `.part` file (an interrupted
 * download) always keeps its name so the download resumes. `taken` holds names already chosen in
 * this batch.
 */
export async function targetPath(folder: string, fileName: string, policy: ExistingFilePolicy, taken: Set<string>): Promise<{ path: string; overwrite: boolean } | null> {
  const first = join(folder, fileName);
  if (!taken.has(first) && (await exists(`${first}.part`))) return { path: first, overwrite: false };
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
