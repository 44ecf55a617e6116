/**
 * What `diskferry restore` and `diskferry queue add restore` share: the restore's options and their
 * reading into a `RestoreRequest` (one source: a backup run folder or an image file), planned against
 * the engine before anything is made or queued.
 */
import type { RestoreRequest } from '../engine/backup/restore.js';
import { required } from './args.js';
import { UsageError } from './errors.js';

/** The options a restore takes (besides verify and the transfer's tuning). */
export const RESTORE_OPTIONS = {
  'storage-domain': { type: 'string', short: 's' },
  name: { type: 'string' },
  attach: { type: 'string' },
  disk: { type: 'string', multiple: true },
} as const;

/** The restore the arguments ask for. */
export function restoreRequest(
  values: { 'storage-domain'?: string | undefined; name?: string | undefined; attach?: string | undefined; disk?: string[] | undefined },
  positionals: readonly string[],
  verify: boolean,
): RestoreRequest {
  if (positionals.length !== 1) throw new UsageError('Name one backup run folder (with its manifest.json) or one image file to restore.');
  const storageDomain = required(values['storage-domain'], '--storage-domain NAME');
  if (values.name === '') throw new UsageError('--name needs a disk name.');
  if (values.attach === '') throw new UsageError('--attach needs a VM name or id.');
  return {
    source: positionals[0]!,
    storageDomain,
    ...(values.name ? { name: values.name } : {}),
    ...(values.disk ? { disks: values.disk } : {}),
    ...(values.attach ? { attachVm: values.attach } : {}),
    verify,
  };
}
