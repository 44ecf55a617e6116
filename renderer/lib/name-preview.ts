/**
 * The download plan's preview of file names from the user's template. It mirrors the core's rules
 * (placeholders `{disk}` `{id}` `{vm}` `{ext}` `{date}`, unsafe characters replaced, an extension
 * added when missing) so the sheet can show names before anything is queued; the core decides the
 * final names (it also applies the existing-file policy). Pure; tested.
 */
import type { OutputFormat } from '../../shared/ipc.js';

/** Placeholders the template may use. */
export const TEMPLATE_FIELDS = ['disk', 'id', 'vm', 'ext', 'date'] as const;

/** The file name a template gives for one disk. `vm` is unknown to the window, so it expands empty. */
export function previewFileName(template: string, disk: { readonly name: string; readonly id: string }, ext: OutputFormat, nowMs: number): string {
  const date = new Date(nowMs).toISOString().slice(0, 10);
  const t = template.replace(/\{vm\}[-_. ]?|[-_ ]?\{vm\}/g, '');
  const out = t.replace(/\{(disk|id|ext|date)\}/g, (_m, key: string) => {
    if (key === 'disk') return disk.name || disk.id;
    if (key === 'id') return disk.id;
    if (key === 'ext') return ext;
    return date;
  });
  // Control characters are as unsafe in file names as the reserved punctuation.
  // eslint-disable-next-line no-control-regex
  const cleaned = out.replace(/[<>:"/\\|?*\u0000-\u001f]/g, '_').replace(/^\.+/, '_').trim().slice(0, 200);
  const name = cleaned === '' ? 'disk' : cleaned;
  return /\.[^.]+$/.test(name) ? name : `${name}.${ext}`;
}

/** Placeholders in a template that the core does not know (a typo such as `{name}`). */
export function unknownPlaceholders(template: string): string[] {
  const known = new Set<string>(TEMPLATE_FIELDS);
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] ?? '').filter((k) => !known.has(k));
}
