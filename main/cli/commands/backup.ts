import { formatBytes, formatDuration } from '../../../shared/format.js';
import { BACKUP_MODE_OPTIONS, LIMIT_OPTION, outputDir, parseBackupMode, parseCommand, parseCount, parseRate, parseVerify, parseWorkers, required, VERIFY_OPTIONS } from '../args.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { backupVm } from '../../engine/backup/backup-run.js';
import { pruneVmFolder } from '../../engine/backup/retention.js';
import { vmFolderName } from '../../engine/backup/set.js';
import { runSnapshotBackup } from '../../engine/backup/snapshot-run.js';
import { backupPath } from '../../engine/backup/backup-plan.js';
import { pendingSnapshotsDir } from '../config.js';
import { join } from 'node:path';

/**
 * `diskferry backup VM… --output DIR [--full|--incremental|--auto] [--snapshot] [--keep N]`: one
 * backup per VM, one after the other (running or down), each disk as a qcow2 in the VM's folder;
 * see docs/backup.md. `--snapshot`, and every backup on an engine without checkpoints (before 4.4),
 * takes a disk-only snapshot of the VM and downloads its disks as they were then (a full copy).
 */
export async function runBackup(ctx: CliContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {
    output: { type: 'string', short: 'o' },
    ...BACKUP_MODE_OPTIONS,
    keep: { type: 'string' },
    'remove-checkpoints': { type: 'boolean' },
    snapshot: { type: 'boolean' },
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
  if (values.snapshot && mode === 'incremental') throw new UsageError('--snapshot makes a full copy each time: leave out --incremental (or --snapshot).');
  const deps = await ctx.connect(values);
  const version = await deps.client.version(ctx.signal);
  const path = backupPath(version, values.snapshot === true);
  if (path.snapshot && mode === 'incremental')
    throw new UsageError(`The engine (${version.full}) has no checkpoints, so it cannot make incremental backups: leave out --incremental for a snapshot backup (a full copy).`);
  if (path.snapshot) {
    if (path.forced && !values.snapshot && !ctx.quiet) ctx.io.stderr.write(`diskferry: note: the engine (${version.full}) has no checkpoints: each VM is backed up from a snapshot (a full copy).\n`);
    return ctx.eachTransfer(positionals, async (vm, control, onProgress) => {
      const started = Date.now();
      const r = await runSnapshotBackup(deps, {
        vm,
        output: dir,
        pendingDir: pendingSnapshotsDir(),
        verify,
        control,
        tuning: { ...(workers !== undefined ? { workers } : {}), preferProxy: values['use-proxy'] ?? false },
        ...(throttle ? { throttle } : {}),
        onProgress: (_disk, p) => onProgress(p),
        wrapDownload: (run) => ctx.recorded(deps, 'download', run),
      });
      const m = r.manifest;
      const pruned = keep !== undefined ? await pruneVmFolder(join(dir, vmFolderName(m.vm)), keep, { engine: null, vmId: m.vm.id }) : null;
      const data = m.disks.reduce((sum, d) => sum + d.dataBytes, 0);
      const removed = pruned && pruned.removed.length > 0 ? ` Retention removed ${pruned.removed.length} older run(s).` : '';
      for (const note of r.notes) if (!ctx.quiet && !ctx.json) ctx.io.stderr.write(`diskferry: note: ${note}\n`);
      ctx.result(`Backed up VM '${m.vm.name}' (snapshot): ${m.disks.length} disk(s), ${formatBytes(data)} of data in ${formatDuration((Date.now() - started) / 1000)} → ${r.runDir}.${removed}`, {
        vm_id: m.vm.id,
        vm_name: m.vm.name,
        kind: m.kind,
        run: r.runDir,
        snapshot_id: m.snapshotId,
        data_bytes: data,
        disks: m.disks,
        notes: [...m.notes, ...r.notes],
        pruned,
      });
    });
  }
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
