import { formatBytes, formatDuration } from '../../../shared/format.js';
import { BACKUP_MODE_OPTIONS, LIMIT_OPTION, outputDir, parseBackupMode, parseCommand, parseCount, parseRate, parseVerify, parseWorkers, required, VERIFY_OPTIONS } from '../args.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { backupVm } from '../../engine/backup/backup-run.js';

/**
 * `diskferry backup VM… --output DIR [--full|--incremental|--auto] [--keep N]`: one backup per VM,
 * one after the other (running or down), each disk as a qcow2 in the VM's folder; see docs/backup.md.
 */
export async function runBackup(ctx: CliContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    output: { type: 'string', short: 'o' },
    ...BACKUP_MODE_OPTIONS,
    keep: { type: 'string' },
    'remove-checkpoints': { type: 'boolean' },
    workers: { type: 'string', short: 'w' },
    'use-proxy': { type: 'boolean' },
    ...LIMIT_OPTION,
    ...VERIFY_OPTIONS,
  });
  ctx.applyGlobals(values);
  const mode = parseBackupMode(values);
  const keep = parseCount('keep', values.keep);
  if (values['remove-checkpoints'] && keep === undefined) throw new UsageError('--remove-checkpoints goes with --keep N: it removes the checkpoints of the backups --keep deletes.');
  const workers = parseWorkers(values.workers);
  const throttle = ctx.throttle(parseRate(values.limit, '--limit'));
  const verify = parseVerify(values);
  if (positionals.length === 0) throw new UsageError('Name at least one VM (name or id) to back up. List them with diskferry vms.');
  const dir = await outputDir(required(values.output, '--output'));
  const deps = await ctx.connect(values);
  return ctx.eachTransfer(positionals, async (vm, control, onProgress) => {
    const r = await backupVm(
      deps,
      { vm, outputDir: dir, mode, verify, ...(keep !== undefined ? { keep, removeCheckpoints: values['remove-checkpoints'] ?? false } : {}) },
      {
        control,
        tuning: { ...(workers !== undefined ? { workers } : {}), preferProxy: values['use-proxy'] ?? false },
        ...(throttle ? { throttle } : {}),
        onProgress: (p) => onProgress({ ...p.total, state: p.progress.state }),
        onNote: (note) => {
          if (ctx.json) ctx.io.stdout.write(JSON.stringify({ event: 'note', vm, message: note }) + '\n');
          else if (!ctx.quiet) ctx.io.stderr.write(`diskferry: note: ${note}\n`);
        },
      },
    );
    const m = r.manifest;
    const data = m.disks.reduce((s, d) => s + d.dataBytes, 0);
    const on = m.parentRun ? ` on ${m.parentRun}` : '';
    const pruned = r.pruned && r.pruned.removed.length > 0 ? ` Retention removed ${r.pruned.removed.length} older run(s)${r.pruned.checkpointsRemoved.length ? ` and ${r.pruned.checkpointsRemoved.length} checkpoint(s)` : ''}.` : '';
    const left = r.pruned?.checkpointsLeft.map((c) => ` Checkpoint ${c.id} could not be removed: ${c.why}.`).join('') ?? '';
    ctx.result(
      `Backed up VM '${m.vm.name}' (${m.kind}${on}): ${m.disks.length} disk(s), ${formatBytes(data)} of data fetched in ${formatDuration(r.elapsedMs / 1000)} → ${r.runDir}.${pruned}${left}`,
      { vm_id: m.vm.id, vm_name: m.vm.name, kind: m.kind, run: r.runDir, parent_run: m.parentRun, backup_id: m.backupId, to_checkpoint_id: m.toCheckpointId, data_bytes: data, on_wire: r.bytesOnWire, elapsed: r.elapsedMs / 1000, disks: m.disks, notes: m.notes, pruned: r.pruned },
    );
  });
}
