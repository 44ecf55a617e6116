/** `diskferry queue add upload FILE… | download DISK… | backup VM…`. */
import { resolve } from 'node:path';
import { probeImageOnce } from '../../engine/image/probe.js';
import { checkUploadDomain } from '../../engine/plan/upload-rules.js';
import { uploadTarget } from '../../engine/plan/upload-target.js';
import type { NewJob } from '../../engine/queue/job.js';
import { resolveDisk } from '../../engine/transfer/download-disk.js';
import { backupPath } from '../../engine/backup/backup-plan.js';
import { pickVm } from '../../engine/backup/vm-lookup.js';
import { planRestore, restoreOrigin, restoreUpload } from '../../engine/backup/restore.js';
import { RESTORE_OPTIONS, restoreRequest } from '../restore-request.js';
import type { Disk } from '../../engine/ovirt/types.js';
import { BACKUP_MODE_OPTIONS, IF_EXISTS_OPTIONS, outputDir, parseBackupMode, parseChoice, parseCount, parseCommand, parseDownloadChoices, parseIfExists, parseInteger, parseVerify, parseWorkers, required, VERIFY_OPTIONS } from '../args.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { downloadJobs, engineKey, reportSkipped, submitJobs } from '../queue/jobs.js';

/** Options of `queue add` (besides the global ones). */
export const QUEUE_ADD_OPTIONS = {
  ...RESTORE_OPTIONS,
  'disk-format': { type: 'string' },
  preallocated: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  ...IF_EXISTS_OPTIONS,
  priority: { type: 'string' },
  now: { type: 'boolean' },
  workers: { type: 'string', short: 'w' },
  format: { type: 'string' },
  ...VERIFY_OPTIONS,
  ...BACKUP_MODE_OPTIONS,
  keep: { type: 'string' },
  'remove-checkpoints': { type: 'boolean' },
  snapshot: { type: 'boolean' },
} as const;

/** `diskferry queue add upload FILE… --storage-domain NAME` / `queue add download DISK… --output DIR`. */
export async function runQueueAdd(ctx: CliContext, args: string[]): Promise<number> {
  const [kind, ...rest] = args;
  if (kind !== 'upload' && kind !== 'download' && kind !== 'backup' && kind !== 'restore')
    throw new UsageError("Say what to queue: 'queue add upload FILE…', 'queue add download DISK…', 'queue add backup VM…' or 'queue add restore RUN|FILE'.");
  const { values, positionals } = parseCommand(rest, QUEUE_ADD_OPTIONS);
  ctx.applyGlobals(values);
  if (positionals.length === 0)
    throw new UsageError(
      kind === 'upload'
        ? 'Name at least one image file to upload.'
        : kind === 'download'
          ? 'Name at least one disk (name or id) to download.'
          : kind === 'restore'
            ? 'Name one backup run folder (with its manifest.json) or one image file to restore.'
            : 'Name at least one VM (name or id) to back up.',
    );
  if (kind !== 'restore' && (values.attach !== undefined || values.disk !== undefined)) throw new UsageError('--attach and --disk go with queue add restore.');
  const common = {
    priority: parseInteger(values.priority, '--priority') ?? 0,
    start: values.now ? ('now' as const) : ('window' as const),
    workers: parseWorkers(values.workers) ?? null,
  };
  const key = await engineKey(ctx, values);
  const verify = parseVerify(values);
  let specs: NewJob[];
  if (kind === 'upload') {
    if (values.format !== undefined) throw new UsageError('--format is for downloads; an upload keeps the image as it is (see --disk-format).');
    const domainName = required(values['storage-domain'], '--storage-domain NAME');
    if (values.name && positionals.length > 1) throw new UsageError('--name works with one file only; several files are named after themselves.');
    const diskFormat = parseChoice('disk-format', values['disk-format'], ['raw', 'cow'] as const);
    // Refuse what cannot be uploaded now, not at 3 in the morning; each file is probed once, its job carries the probe.
    const probes = [];
    for (const file of positionals) probes.push(await probeImageOnce(resolve(file)));
    const deps = await ctx.connect(values);
    const domain = await deps.client.storageDomain(domainName);
    checkUploadDomain(domain);
    specs = probes.map((probe) => {
      const { target, notes } = uploadTarget(probe, domain, { storageDomain: domain.name, diskName: values.name || undefined, diskFormat, preallocated: values.preallocated, verify });
      for (const line of notes) ctx.io.stderr.write(`diskferry: note: ${line}\n`);
      return { kind: 'upload', engine: key, label: target.diskName, storageDomainKey: domain.id, ...common, upload: target };
    });
  } else if (kind === 'restore') {
    // The restore is planned now (manifest, files, domain, VM), as `restore` plans it: a mistake fails here, not at night.
    if (values.format !== undefined || values.output !== undefined) throw new UsageError('--format and --output are for downloads; a restore uploads into a new disk (see --storage-domain, --disk-format).');
    const request = restoreRequest(values, positionals, verify);
    const diskFormat = parseChoice('disk-format', values['disk-format'], ['raw', 'cow'] as const);
    const deps = await ctx.connect(values);
    const plan = await planRestore(deps, request);
    specs = plan.items.map((item) => {
      for (const line of item.notes) ctx.io.stderr.write(`diskferry: note: ${line}\n`);
      return { kind: 'upload' as const, engine: key, label: item.diskName, storageDomainKey: plan.domain.id, ...common, upload: restoreUpload(plan, item, { diskFormat, preallocated: values.preallocated }), restore: restoreOrigin(plan, item) };
    });
  } else if (kind === 'backup') {
    const mode = parseBackupMode(values);
    const keep = parseCount('keep', values.keep);
    if (values['remove-checkpoints'] && keep === undefined) throw new UsageError('--remove-checkpoints goes with --keep N: it removes the checkpoints of the backups --keep deletes.');
    const output = await outputDir(required(values.output, '--output DIR'));
    const deps = await ctx.connect(values);
    const version = await deps.client.version();
    // A snapshot backup when asked or when the engine has no checkpoints (the rule `backup` follows).
    const path = backupPath(version, values.snapshot === true);
    if (path.snapshot && mode === 'incremental')
      throw new UsageError(`${path.forced ? `The engine (${version.full}) has no checkpoints, so it cannot make incremental backups` : '--snapshot makes a full copy each time'}: leave out --incremental.`);
    if (path.forced && !values.snapshot && !ctx.quiet) ctx.io.stderr.write(`diskferry: note: the engine (${version.full}) has no checkpoints: each VM is backed up from a snapshot (a full copy).\n`);
    const all = await deps.client.vms();
    // One job per VM: its disks are in the one backup; the VM is resolved now, so a typo fails here.
    specs = positionals.map((v) => {
      const vm = pickVm(all, v);
      const backup = {
        vmId: vm.id,
        vmName: vm.name,
        outputDir: output,
        mode,
        verify,
        ...(path.snapshot ? { snapshot: true } : {}),
        ...(keep !== undefined ? { keep, removeCheckpoints: values['remove-checkpoints'] ?? false } : {}),
      };
      return { kind: 'backup' as const, engine: key, label: vm.name, ...common, backup };
    });
  } else {
    const choices = parseDownloadChoices(values);
    const ifExists = parseIfExists(values);
    const output = await outputDir(required(values.output, '--output DIR'));
    const deps = await ctx.connect(values);
    const disks: Disk[] = [];
    for (const d of positionals) disks.push(await resolveDisk(deps, d));
    const placed = await downloadJobs(key, disks, output, ifExists, common, choices);
    reportSkipped(ctx, placed.skipped);
    specs = placed.jobs;
  }
  if (specs.length > 0) await submitJobs(ctx, specs);
  return 0;
}
