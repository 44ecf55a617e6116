/**
 * One upload, in the one shape it keeps from the request to the run: the app and the CLI make it
 * with `uploadTarget`, the queue persists it as a job's `upload`, and `uploadImage` takes it as its
 * spec. It carries the stamp of the file's probe, so the run probes the file again only when it
 * changed since (size or modification time).
 */
import { z } from 'zod';
import { imageStamp, type ImageProbe } from '../image/probe.js';
import type { StorageDomain } from '../ovirt/types.js';
import { chainNote, defaultDiskName, imageNotes, uploadLayout, type UploadChoices } from './upload-rules.js';

/** The probe's stamp (image/probe.ts `ImageStamp`), as a schema. */
export const ImageStampSchema = z.object({
  format: z.enum(['raw', 'qcow2', 'iso']),
  virtualSize: z.number().int().nonnegative(),
  fileSize: z.number().int().nonnegative(),
  mtimeMs: z.number(),
});

/** What an upload sends where. Fields absent in jobs saved by earlier versions take the rules' defaults. */
export const UploadTargetSchema = z.object({
  /** The local image (raw, qcow2 or ISO). */
  path: z.string().min(1),
  /** Storage domain name or id; looked up again (and checked) at every run. */
  storageDomain: z.string().min(1),
  diskName: z.string().min(1).optional(),
  diskFormat: z.enum(['raw', 'cow']).optional(),
  preallocated: z.boolean().optional(),
  /** Compare checksums with the server before finalize (default true; needs imageio 2). */
  verify: z.boolean().optional(),
  /** The file as it was probed when the upload was planned; absent: probed at the run. */
  image: ImageStampSchema.optional(),
});
/** What an upload sends where. */
export type UploadTarget = z.infer<typeof UploadTargetSchema>;

/** An upload made from a probed file, and the notes its rules produced (for the user to see). */
export interface PlannedUpload {
  readonly target: UploadTarget & Required<Pick<UploadTarget, 'diskName' | 'diskFormat' | 'preallocated' | 'verify' | 'image'>>;
  readonly notes: readonly string[];
}

/**
 * The upload of a probed file to a storage domain (checked by the caller, once per batch), every
 * default decided by the rules. `storageDomain` is how the job names the domain (id or name).
 */
export function uploadTarget(
  probe: ImageProbe,
  domain: Pick<StorageDomain, 'name' | 'isBlock'>,
  choices: UploadChoices & { readonly storageDomain: string; readonly verify?: boolean | undefined },
): PlannedUpload {
  const layout = uploadLayout(probe.format, choices, domain);
  return {
    target: {
      path: probe.path,
      storageDomain: choices.storageDomain,
      diskName: choices.diskName ?? defaultDiskName(probe.name),
      diskFormat: layout.format,
      preallocated: choices.preallocated ?? false,
      verify: choices.verify ?? true,
      image: imageStamp(probe),
    },
    notes: [...(probe.chain && probe.chain.length > 0 ? [chainNote(probe.name, probe.chain.length + 1)] : []), ...imageNotes(probe), ...layout.notes],
  };
}
