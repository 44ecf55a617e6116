/** Download file names from the user's template, and the existing-file policy. */
import { stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { ExistingFilePolicy, OutputFormat } from '../../../shared/ipc.js';

/** Placeholders a template may use. */
export interface NameFields {
  readonly disk: string;
  readonly id: string;
  readonly vm: string | null;
  readonly ext: OutputFormat;
  /** Epoch ms, for `{date}`. */
  readonly now: number;
}

/** Replaces characters unsafe in a file name on any OS. */
export function safeFileName(name: string): string {
  // Control characters are as unsafe in file names as the reserved punctuation.
  // eslint-disable-next-line no-control-regex
  const cleaned = name.replace(/[<>:"/\\|?*\u0000-\u001f]/g, '_').replace(/^\.+/, '_').trim().slice(0, 200);
  return cleaned === '' ? 'disk' : cleaned;
}

/** Expands `{disk}`, `{id}`, `{vm}`, `{ext}`, `{date}`; an empty `{vm}` takes one adjacent separator with it. */
export function expandTemplate(template: string, f: NameFields): string {
  const date = new Date(f.now).toISOString().slice(0, 10);
  let t = template;
  if (!f.vm) t = t.replace(/\{vm\}[-_. ]?|[-_ ]?\{vm\}/g, '');
  const out = t.replace(/\{(disk|id|vm|ext|date)\}/g, (_, key: string) => {
    switch (key) {
      case 'disk':
        return f.disk || f.id;
      case 'id':
        return f.id;
      case 'vm':
        return f.vm ?? '';
      case 'ext':
        return f.ext;
      default:
        return date;
    }
  });
  const name = safeFileName(out);
  return extname(name) === '' ? `${name}.${f.ext}` : name;
}

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
