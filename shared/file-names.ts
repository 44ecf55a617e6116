/**
 * Download file names from the user's template: the core names the files with it and the window
 * previews the same names before anything is queued. Placeholders `{disk}` `{id}` `{vm}` `{ext}`
 * `{date}`; unsafe characters replaced; an extension added when missing. Pure.
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

/** Expands the template; an empty `{vm}` takes one adjacent separator with it. */
export function expandTemplate(template: string, f: NameFields): string {
  const date = new Date(f.now).toISOString().slice(0, 10);
  const t = f.vm ? template : template.replace(/\{vm\}[-_. ]?|[-_ ]?\{vm\}/g, '');
  const values: Record<(typeof TEMPLATE_FIELDS)[number], string> = { disk: f.disk || f.id, id: f.id, vm: f.vm ?? '', ext: f.ext, date };
  const name = safeFileName(t.replace(/\{(disk|id|vm|ext|date)\}/g, (_m, key: keyof typeof values) => values[key]));
  return /\.[^.]+$/.test(name) ? name : `${name}.${f.ext}`;
}

/** Placeholders in a template that are not known (a typo such as `{name}`). */
export function unknownPlaceholders(template: string): string[] {
  const known = new Set<string>(TEMPLATE_FIELDS);
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] ?? '').filter((k) => !known.has(k));
}
