import { parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { table } from '../table.js';
import { findVmFolder, lastRun, listRuns } from '../../engine/backup/set.js';
import { resolve } from 'node:path';

/** `diskferry vms [--output DIR] [--json]`: the VMs with their status, disks, and the last backup in DIR. */
export async function runVms(ctx: CliContext, args: string[]): Promise<number> {
  const { values } = parseCommand(args, { output: { type: 'string', short: 'o' } });
  ctx.applyGlobals(values);
  const { client } = await ctx.connect(values);
  const out = values.output === undefined ? null : resolve(values.output);
  const vms = await client.vms();
  const rows: string[][] = [];
  for (const vm of vms) {
    const folder = out === null ? null : await findVmFolder(out, vm);
    const last = folder === null ? null : lastRun(await listRuns(folder));
    const lastBackup = last ? { run: last.name, kind: last.manifest.kind, finished_at: last.manifest.finishedAt, path: last.dir } : null;
    if (ctx.json) ctx.io.stdout.write(JSON.stringify({ id: vm.id, name: vm.name, status: vm.status, disk_ids: vm.diskIds, last_backup: lastBackup }) + '\n');
    else rows.push([vm.name, vm.id, vm.status ?? '?', String(vm.diskIds.length), ...(out === null ? [] : [last ? `${last.name}` : '-'])]);
  }
  if (!ctx.json) ctx.io.stdout.write(table(['NAME', 'ID', 'STATUS', 'DISKS', ...(out === null ? [] : ['LAST BACKUP'])], rows) + '\n');
  return 0;
}
