import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatBytes } from '../../../shared/format.js';
import { parseCommand, parseCount, required } from '../args.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { table } from '../table.js';
import { pruneVmFolder } from '../../engine/backup/retention.js';
import { listRuns, listVmFolders, type RunEntry } from '../../engine/backup/set.js';

/** `diskferry backups list DIR` and `backups prune DIR --keep N [--remove-checkpoints] [--dry-run]`. */
export async function runBackups(ctx: CliContext, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'list') return listBackups(ctx, rest);
  if (sub === 'prune') return pruneBackups(ctx, rest);
  throw new UsageError(`Unknown backups command '${sub ?? ''}'. Use: diskferry backups list DIR, or diskferry backups prune DIR --keep N.`);
}

/** The VM folders of DIR: DIR itself when it is one (it holds runs), else the VM folders inside it. */
async function vmFolders(dir: string): Promise<Array<{ name: string; dir: string; runs: RunEntry[] }>> {
  const abs = resolve(dir);
  if (!(await stat(abs).then((s) => s.isDirectory(), () => false))) throw new UsageError(`${dir} is not a folder.`);
  const own = await listRuns(abs);
  if (own.length > 0) return [{ name: abs.split(/[/\\]/).pop() ?? abs, dir: abs, runs: own }];
  return listVmFolders(abs);
}

async function listBackups(ctx: CliContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, {});
  ctx.applyGlobals(values);
  if (positionals.length !== 1) throw new UsageError('Name one folder: the --output folder of diskferry backup, or one VM folder in it.');
  const folders = await vmFolders(positionals[0]!);
  const rows: string[][] = [];
  for (const f of folders) {
    for (const r of f.runs) {
      const m = r.manifest;
      const data = m ? m.disks.reduce((s, d) => s + d.dataBytes, 0) : null;
      if (ctx.json) {
        ctx.io.stdout.write(
          JSON.stringify(
            m
              ? { vm_folder: f.name, run: r.name, path: r.dir, finished: true, kind: m.kind, vm: m.vm, started_at: m.startedAt, finished_at: m.finishedAt, parent_run: m.parentRun, to_checkpoint_id: m.toCheckpointId, data_bytes: data, disks: m.disks, notes: m.notes }
              : { vm_folder: f.name, run: r.name, path: r.dir, finished: false },
          ) + '\n',
        );
        continue;
      }
      rows.push([m?.vm.name ?? f.name, r.name, m ? m.kind : 'unfinished', m ? String(m.disks.length) : '-', data === null ? '-' : formatBytes(data), m?.parentRun ?? '-', m?.toCheckpointId ?? '-']);
    }
  }
  if (!ctx.json) ctx.io.stdout.write(rows.length === 0 ? 'No backups in this folder.\n' : table(['VM', 'RUN', 'KIND', 'DISKS', 'DATA', 'BUILDS ON', 'CHECKPOINT'], rows) + '\n');
  return 0;
}

async function pruneBackups(ctx: CliContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, { keep: { type: 'string' }, 'remove-checkpoints': { type: 'boolean' }, 'dry-run': { type: 'boolean' } });
  ctx.applyGlobals(values);
  const keep = parseCount('keep', required(values.keep, '--keep N (how many full chains of each VM to keep)'))!;
  if (positionals.length !== 1) throw new UsageError('Name one folder: the --output folder of diskferry backup, or one VM folder in it.');
  const dryRun = values['dry-run'] ?? false;
  const engine = values['remove-checkpoints'] ? await ctx.connect(values) : null;
  let failed = false;
  for (const f of await vmFolders(positionals[0]!)) {
    const r = await pruneVmFolder(f.dir, keep, { engine, dryRun });
    const verb = dryRun ? 'would remove' : 'removed';
    if (ctx.json) ctx.io.stdout.write(JSON.stringify({ event: 'result', vm_folder: f.name, dry_run: dryRun, kept: r.kept, removed: r.removed, checkpoints_removed: r.checkpointsRemoved, checkpoints_left: r.checkpointsLeft }) + '\n');
    else {
      ctx.io.stdout.write(`${f.name}: kept ${r.kept.length} run(s), ${verb} ${r.removed.length}${r.removed.length ? `: ${r.removed.join(', ')}` : ''}.\n`);
      if (r.checkpointsRemoved.length) ctx.io.stdout.write(`${f.name}: ${dryRun ? 'would remove' : 'removed'} checkpoint(s) ${r.checkpointsRemoved.join(', ')} on the engine.\n`);
      for (const c of r.checkpointsLeft) ctx.io.stderr.write(`diskferry: checkpoint ${c.id} of ${f.name} could not be removed: ${c.why}\n`);
    }
    if (r.checkpointsLeft.length > 0) failed = true;
  }
  return failed ? 1 : 0;
}
