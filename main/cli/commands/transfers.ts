/**
 * `diskferry transfers [--all]`: every image transfer on the engine, ours (queue jobs, the window's
 * queue jobs, plain commands of this machine) and other clients', with what each is doing; and `diskferry transfers clean`: ends
 * the stuck ones, the right way for each (engine/janitor/janitor.ts).
 */
import { commandLineQueueJobs, windowQueueJobs } from '../../app/document-files.js';
import { formatDuration } from '../../../shared/format.js';
import { endStuckTransfer, surveyTransfers, type Owners, type TransferRow } from '../../engine/janitor/janitor.js';
import { ownersOf } from '../../engine/janitor/owners.js';
import { Sightings } from '../../engine/janitor/sightings.js';
import { DEFAULT_ENGINE_TIMEOUT_MS, type TransferDeps } from '../../engine/transfer/deps.js';
import { parseCommand, parseDuration } from '../args.js';
import { configDir, sightingsFile } from '../config.js';
import type { CliContext } from '../context.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../errors.js';
import { confirm } from '../password.js';
import { queuePaths } from '../queue/ports.js';
import { table } from '../table.js';

/** `diskferry transfers [--all]`, or `diskferry transfers clean …`. */
export async function runTransfers(ctx: CliContext, args: string[]): Promise<number> {
  if (args[0] === 'clean') return runClean(ctx, args.slice(1));
  const { values, positionals } = parseCommand(args, { all: { type: 'boolean' } });
  if (positionals.length > 0) throw new UsageError(`Unknown transfers command '${positionals[0]}'. Use 'diskferry transfers' or 'diskferry transfers clean'.`);
  ctx.applyGlobals(values);
  const deps = await ctx.connect(values);
  const rows = (await survey(ctx, deps)).filter((r) => values.all || r.condition !== 'finished');
  if (ctx.json) {
    for (const r of rows) ctx.io.stdout.write(JSON.stringify(rowJson(r)) + '\n');
    return EXIT_OK;
  }
  if (rows.length === 0) {
    ctx.io.stdout.write(values.all ? 'The engine lists no image transfers.\n' : 'No open image transfers on this engine (--all shows the finished ones the engine still lists).\n');
    return EXIT_OK;
  }
  ctx.io.stdout.write(
    table(
      ['TRANSFER', 'DIRECTION', 'PHASE', 'DISK', 'HOST', 'OWNER', 'IDLE', 'STATE'],
      rows.map((r) => [
        r.transfer.id,
        r.transfer.direction,
        r.transfer.phase,
        r.diskName ?? r.transfer.diskId ?? '?',
        r.hostName ?? r.transfer.hostId ?? '?',
        r.owner ? `ours: ${r.owner.label}` : 'another client',
        r.idleMs === null ? '-' : `≥ ${formatDuration(r.idleMs / 1000)}`,
        `${r.condition}: ${r.why}`,
      ]),
    ) + '\n',
  );
  const stuck = rows.filter((r) => r.condition === 'stuck').length;
  if (stuck > 0) ctx.io.stdout.write(`${stuck} stuck: see what 'diskferry transfers clean --dry-run' would do about ${stuck === 1 ? 'it' : 'them'}.\n`);
  return EXIT_OK;
}

/** `diskferry transfers clean [--dry-run] [--older-than DURATION] [--yes] [ID…]`. */
async function runClean(ctx: CliContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, { 'dry-run': { type: 'boolean' }, 'older-than': { type: 'string' }, yes: { type: 'boolean', short: 'y' } });
  ctx.applyGlobals(values);
  const olderThan = parseDuration('--older-than', values['older-than']);
  const deps = await ctx.connect(values);
  const rows = await survey(ctx, deps);
  let failures = 0;
  const picked: TransferRow[] = [];
  for (const id of positionals) {
    const row = rows.find((r) => r.transfer.id === id);
    if (!row || row.condition === 'finished') {
      failures++;
      ctx.reportError(new UsageError(row ? `Transfer ${id} has already ended (${row.transfer.phase}).` : `The engine has no transfer ${id}; list them with diskferry transfers --all.`), id);
    } else picked.push(row);
  }
  // Without ids: only what nobody is behind, and with --older-than only what has been idle that long.
  if (positionals.length === 0) picked.push(...rows.filter((r) => r.condition === 'stuck' && (olderThan === undefined || (r.idleMs !== null && r.idleMs >= olderThan))));
  if (picked.length === 0) {
    if (positionals.length === 0) ctx.result(nothingToClean(rows, olderThan), { cleaned: 0, open: rows.filter((r) => r.condition !== 'finished').length });
    return failures > 0 ? EXIT_FAILED : EXIT_OK;
  }
  for (const row of picked) {
    const t = row.transfer;
    const plan = planText(row);
    if (values['dry-run']) {
      ctx.result(`Would ${plan}`, { transfer_id: t.id, direction: t.direction, phase: t.phase, disk_id: t.diskId, dry_run: true, plan: `would ${plan}` });
      continue;
    }
    if (t.direction === 'upload' && !values.yes && !(await confirm(`Cancel upload transfer ${t.id}? The engine deletes its disk ${diskText(row)}.`, process.stdin, ctx.io.stderr))) {
      failures++;
      ctx.reportError(new UsageError(`Left upload transfer ${t.id} as it is: ending it deletes disk ${diskText(row)}. Pass --yes to end it without asking.`), t.id);
      continue;
    }
    try {
      const end = await endStuckTransfer(deps, t, { timeoutMs: DEFAULT_ENGINE_TIMEOUT_MS, signal: ctx.signal });
      await forgetLocal(ctx, deps, t.id);
      ctx.result(end.message, { transfer_id: t.id, direction: t.direction, disk_id: t.diskId, action: end.action, disk: end.disk });
      if (end.disk === 'locked' || end.disk === 'illegal') failures++;
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      failures++;
      ctx.reportError(err, t.id);
    }
  }
  return failures > 0 ? EXIT_FAILED : EXIT_OK;
}

/** The rows of the engine's transfers, with what we know of ours. */
async function survey(ctx: CliContext, deps: TransferDeps): Promise<TransferRow[]> {
  const sightings = await Sightings.open(sightingsFile(deps.client.engineHost));
  return surveyTransfers(deps, await ownersFor(ctx, deps), sightings, ctx.signal);
}

/** Our transfers: the queue's jobs (from the queue file), the window's queue's (its file in the same folder) and the local record of plain commands. */
async function ownersFor(ctx: CliContext, deps: TransferDeps): Promise<Owners> {
  return ownersOf({
    queue: await commandLineQueueJobs(queuePaths().file),
    otherQueue: { kind: 'window-queue', jobs: await windowQueueJobs(configDir()) },
    ledger: { ledger: ctx.ledger, engineHost: deps.client.engineHost },
  });
}

/** After a transfer was ended: the local record's entries for it go. */
async function forgetLocal(ctx: CliContext, deps: TransferDeps, transferId: string): Promise<void> {
  const t = await deps.client.transfer(transferId).catch(() => null);
  for (const e of await ctx.ledger.list())
    if (e.transferId === transferId || (e.transferId === null && e.diskId !== null && e.diskId === t?.diskId)) await ctx.ledger.remove(e.key);
}

function diskText(row: TransferRow): string {
  const id = row.transfer.diskId ?? 'unknown';
  return row.diskName ? `'${row.diskName}' (${id})` : id;
}

function planText(row: TransferRow): string {
  const t = row.transfer;
  const why = `${row.condition}: ${row.why}`;
  if (t.direction === 'download') return `finalize download transfer ${t.id} of disk ${diskText(row)} (${t.phase}; ${why}); the disk goes back to ok.`;
  return `cancel upload transfer ${t.id} (${t.phase}; ${why}); the engine deletes its disk ${diskText(row)}.`;
}

function nothingToClean(rows: readonly TransferRow[], olderThan: number | undefined): string {
  const open = rows.filter((r) => r.condition !== 'finished');
  const stuck = open.filter((r) => r.condition === 'stuck').length;
  if (open.length === 0) return 'Nothing to clean: no open image transfers on this engine.';
  if (stuck > 0 && olderThan !== undefined) return `Nothing to clean: ${stuck} stuck, none seen idle for ${formatDuration(olderThan / 1000)} yet (DiskFerry measures idle time from its own listings).`;
  return `Nothing to clean: ${open.length} open, none stuck. Name a transfer by id to end it anyway (diskferry transfers lists them).`;
}

function rowJson(r: TransferRow): Record<string, unknown> {
  const t = r.transfer;
  return {
    event: 'transfer',
    id: t.id,
    direction: t.direction,
    phase: t.phase,
    disk_id: t.diskId,
    disk_name: r.diskName,
    host_id: t.hostId ?? null,
    host_name: r.hostName,
    ours: r.owner !== null,
    owner: r.owner?.label ?? null,
    active: t.active,
    transferred: t.transferred,
    inactivity_timeout: t.inactivityTimeout,
    idle_seconds: r.idleMs === null ? null : Math.round(r.idleMs / 1000),
    condition: r.condition,
    why: r.why,
  };
}
