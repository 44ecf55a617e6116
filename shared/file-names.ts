/**
 * Download file names from the user's template: the core names the files with it and the window
 * previews the same names before anything is queued. Placeholders `{disk}` `{id}` `{vm}` `{ext}`
 * `{date}`; "/" makes folders inside the output folder; unsafe characters replaced; an extension
 * added when missing. Pure.
 */
import type { OutputFormat } from './model.js';

/** The name of a download when nobody chose a template: the disk's name with the format's extension. */
export const DEFAULT_NAME_TEMPLATE = '{disk}.{ext}';

/** Placeholders a template may use. */
export const TEMPLATE_FIELDS = ['disk', 'id', 'vm', 'ext', 'date'] as const;

/** The values of the placeholders for one disk. */
export interface NameFields {
  readonly disk: string;
  readonly id: string;
  /** The VM the disk is attached to; null for a floating disk or when unknown. */
  readonly vm: string | null;
  readonly ext: OutputFormat;
  /** Epoch ms, for `{date}` (UTC day). */
  readonly now: number;
}

/** Replaces characters unsafe in a file name on any OS. */
export function safeFileName(name: string): string {
  // Control characters are as unsafe in file names as the reserved punctuation.
  // eslint-disable-next-line no-control-regex
  const cleaned = name.replace(/[<>:"/\\|?*\u0000-\u001f]/g, '_').replace(/^\.+/, '_').trim().slice(0, 200);
  return cleaned === '' ? 'disk' : cleaned;
}

/** The folder `{vm}` names for a disk attached to no VM (a floating disk), in a segment of its own. */
export const NO_VM_FOLDER = 'no-vm';

/**
 * Expands the template into a path relative to the output folder, segments joined by "/": a "/" in
 * the template makes a folder (`{vm}/{disk}`: one folder per VM), never one in a value (a "/" in a VM
 * or disk name is replaced like any unsafe character). A segment that is only `{vm}` names the folder
 * `no-vm` for a disk without a VM; elsewhere an empty `{vm}` takes one adjacent separator with it.
 * Empty segments (a leading "/", "//") are dropped and ".." cannot name a parent (a leading dot
 * becomes "_"), so the path always stays inside the output folder. The last segment gets the
 * format's extension when it has none.
 */
export function expandTemplate(template: string, f: NameFields): string {
  const date = new Date(f.now).toISOString().slice(0, 10);
  const values: Record<(typeof TEMPLATE_FIELDS)[number], string> = { disk: f.disk || f.id, id: f.id, vm: f.vm ?? '', ext: f.ext, date };
  const segments = template.split('/').flatMap((raw) => {
    if (raw.trim() === '') return [];
    if (raw.trim() === '{vm}' && !f.vm) return [NO_VM_FOLDER];
    const t = f.vm ? raw : raw.replace(/\{vm\}[-_. ]?|[-_ ]?\{vm\}/g, '');
    // Each value made safe on its own, so that a "/" inside a name never makes a folder.
    const expanded = t.replace(/\{(disk|id|vm|ext|date)\}/g, (_m, key: keyof typeof values) => (values[key] === '' ? '' : safeFileName(values[key])));
    return expanded.trim() === '' ? [] : [safeFileName(expanded)];
  });
  if (segments.length === 0) segments.push(safeFileName(values.disk));
  const last = segments.length - 1;
  const name = segments[last]!;
  segments[last] = /\.[^.]+$/.test(name) ? name : `${name}.${f.ext}`;
  return segments.join('/');
}

/** Placeholders in a template that are not known (a typo such as `{name}`). */
export function unknownPlaceholders(template: string): string[] {
  const known = new Set<string>(TEMPLATE_FIELDS);
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] ?? '').filter((k) => !known.has(k));
}
