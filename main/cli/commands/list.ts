import { formatBytes } from '../../../shared/format.js';
import { diskSearch, parseCommand, parseCount } from '../args.js';
import type { CliContext } from '../context.js';
import { table } from '../table.js';
import { vmNamesByDisk } from '../../engine/ovirt/vms.js';

/** `diskferry storage-domains`: the domains with their real status and free space. */
export async function runStorageDomains(ctx: CliContext, args: string[]): Promise<number> {
  const { values } = parseCommand(args, {});
  ctx.applyGlobals(values);
  const { client } = await ctx.connect(values);
  const domains = await client.storageDomains();
  if (ctx.json) {
    for (const d of domains) ctx.io.stdout.write(JSON.stringify(d) + '\n');
    return 0;
  }
  ctx.io.stdout.write(
    table(
      ['NAME', 'TYPE', 'STORAGE', 'STATUS', 'FREE', 'USED'],
      domains.map((d) => [d.name, d.type, `${d.storageType ?? '?'}${d.isBlock ? ' (block)' : ''}`, d.status, formatBytes(d.available), formatBytes(d.used)]),
    ) + '\n',
  );
  return 0;
}

/** `diskferry disks [--search Q]`: disks with their VMs, size, format and status. */
export async function runDisks(ctx: CliContext, args: string[]): Promise<number> {
  const { values } = parseCommand(args, { search: { type: 'string' }, max: { type: 'string' } });
  ctx.applyGlobals(values);
  const max = parseCount('max', values.max);
  const { client } = await ctx.connect(values);
  const [disks, vmNames] = await Promise.all([
    client.disks({
      ...(values.search ? { search: diskSearch(values.search) } : {}),
      ...(max !== undefined ? { max } : {}),
    }),
    // A user who may not list VMs still gets the disks; the VM column then says '?'.
    client.vms().then(vmNamesByDisk, () => null),
  ]);
  const vmsOf = (id: string): string[] | null => (vmNames === null ? null : (vmNames.get(id) ?? []));
  if (ctx.json) {
    for (const d of disks) ctx.io.stdout.write(JSON.stringify({ ...d, vmNames: vmsOf(d.id) }) + '\n');
    return 0;
  }
  ctx.io.stdout.write(
    table(
      ['NAME', 'ID', 'VM', 'SIZE', 'ACTUAL', 'FORMAT', 'STATUS'],
      disks.map((d) => [
        d.name,
        d.id,
        vmsOf(d.id)?.join(',') || (vmNames === null ? '?' : '-'),
        formatBytes(d.provisionedSize),
        formatBytes(d.actualSize),
        `${d.format}${d.sparse ? ' sparse' : ''}`,
        d.status ?? '?',
      ]),
    ) + '\n',
  );
  return 0;
}
