/**
 * `diskferry restore RUN_DIR_OR_FILE --storage-domain SD [--name NAME] [--attach VM] [--disk ALIAS…]`:
 * each disk of a finished backup run (or one image file) uploaded into a new disk, verified, and
 * attached to a VM when asked (engine/backup/restore.ts). The output gives each new disk's id.
 */
import { formatBytes, formatDuration } from '../../../shared/format.js';
import { planRestore, restoreDisk } from '../../engine/backup/restore.js';
import { LIMIT_OPTION, parseCommand, parseRate, parseVerify, parseWorkers, uploadFlushEvery, VERIFY_OPTIONS } from '../args.js';
import type { CliContext } from '../context.js';
import { RESTORE_OPTIONS, restoreRequest } from '../restore-request.js';

/** `diskferry restore …`. */
export async function runRestore(ctx: CliContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, { ...RESTORE_OPTIONS, workers: { type: 'string', short: 'w' }, ...LIMIT_OPTION, ...VERIFY_OPTIONS });
  ctx.applyGlobals(values);
  const request = restoreRequest(values, positionals, parseVerify(values));
  const workers = parseWorkers(values.workers);
  const throttle = ctx.throttle(parseRate(values.limit, '--limit'));
  const deps = await ctx.connect(values);
  const plan = await planRestore(deps, request, ctx.signal);
  const note = (line: string) => ctx.io.stderr.write(`diskferry: note: ${line}\n`);
  if (plan.manifest) note(`restoring ${plan.items.length} of ${plan.manifest.disks.length} disks of the ${plan.manifest.kind} backup of VM ${plan.manifest.vm.name} taken ${plan.manifest.startedAt}`);
  const byFile = new Map(plan.items.map((i) => [i.file, i]));
  return ctx.eachTransfer([...byFile.keys()], async (file, control, onProgress) => {
    const item = byFile.get(file)!;
    for (const line of item.notes) note(line);
    const r = await ctx.recorded(deps, 'upload', (hooks) =>
      restoreDisk(deps, plan, item, {
        control,
        tuning: { ...(workers !== undefined ? { workers } : {}), ...uploadFlushEvery() },
        onProgress,
        ...(throttle ? { throttle } : {}),
        ...hooks,
      }),
    );
    const u = r.upload;
    const what = item.backupDisk ? `disk ${item.backupDisk.alias} of the backup` : file;
    const backupCheck = r.matchesBackup ? '; the checksum the backup recorded agrees' : '';
    const attached = r.attachedTo ? `; attached to VM ${r.attachedTo.name}` : '';
    ctx.result(
      `Restored ${what} into disk '${u.diskName}' (${u.diskId}) on ${u.storageDomain}: ${formatBytes(u.virtualSize)} (${formatBytes(u.dataBytes)} of data) in ${formatDuration(u.elapsedMs / 1000)}; ${u.verification}${backupCheck}${attached}.`,
      {
        file,
        backup_disk_id: item.backupDisk?.id ?? null,
        backup_disk_alias: item.backupDisk?.alias ?? null,
        chain: item.probe.chain?.length ? [file, ...item.probe.chain] : [file],
        disk_id: u.diskId,
        disk_name: u.diskName,
        storage_domain: u.storageDomain,
        format: u.format,
        size: u.virtualSize,
        data_bytes: u.dataBytes,
        digest: u.digest,
        verified: u.verified,
        matches_backup: r.matchesBackup,
        attached_to: r.attachedTo ? { vm_id: r.attachedTo.id, vm_name: r.attachedTo.name } : null,
      },
    );
  });
}
