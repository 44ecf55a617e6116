/**
 * The download plan's preview of file names, with the same rules the core names the files with
 * (shared/file-names.ts); the core decides the final names (it also applies the existing-file
 * policy).
 */
import { expandTemplate } from '../../shared/file-names.js';
import type { DiskView, OutputFormat } from '../../shared/ipc.js';

export { TEMPLATE_FIELDS, unknownPlaceholders } from '../../shared/file-names.js';

/** The file name a template gives for one disk; `{vm}` is its first VM (empty for a floating disk). */
export function previewFileName(template: string, disk: Pick<DiskView, 'name' | 'id' | 'vmNames'>, ext: OutputFormat, nowMs: number): string {
  return expandTemplate(template, { disk: disk.name, id: disk.id, vm: disk.vmNames?.[0] ?? null, ext, now: nowMs });
}
