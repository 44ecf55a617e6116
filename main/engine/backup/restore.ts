/**
 * Restore (reference/backup.md §13): a backup run's disks, or one qcow2 (or raw) file, each uploaded
 * into a new disk through the normal upload path — the top of a chain read with its chain, collapsed,
 * by the qcow2 reader; format and allocation by the upload rules; verified like any upload, and
 * against the digest the backup recorded — then optionally attached to a VM. A run folder without a
 * manifest is unfinished and refused. The plan is made whole, the VM found and the domain checked,
 * before the first disk is created.
 */
import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { DiskFerryError, errorCode, errorMessage } from '../errors.js';
import { finishRestore, type RestoreOrigin } from './restore-job.js';
import { probeImageOnce, type ImageProbe } from '../image/probe.js';
import type { StorageDomain } from '../ovirt/types.js';
import { checkUploadDomain, defaultDiskName } from '../plan/upload-rules.js';
import { uploadTarget, type UploadTarget } from '../plan/upload-target.js';
import type { TransferDeps } from '../transfer/deps.js';
import { uploadImage, type UploadImageOptions, type UploadResult } from '../transfer/upload-image.js';
import { MANIFEST_NAME, readManifest, type BackupDiskEntry, type BackupManifest } from './manifest.js';

/** What to restore where. */
export interface RestoreRequest {
  /** A backup run folder (with its manifest.json), or one image file. */
  readonly source: string;
  /** Storage domain name or id of the new disks. */
  readonly storageDomain: string;
  /** The new disk's name; with several disks, the prefix of each (`NAME-<alias>`). Default: `<alias>-<run time>`, or the file's name. */
  readonly name?: string;
  /** Only these disks of the run, by alias or id (default: all). */
  readonly disks?: readonly string[];
  /** Attach each new disk to this VM (id or name). */
  readonly attachVm?: string;
  /** Compare checksums with the server (default true). */
  readonly verify?: boolean;
}

/** One disk to restore, as planned. */
export interface RestoreItem {
  /** The backed-up disk's alias and id (null for a plain file). */
  readonly backupDisk: Pick<BackupDiskEntry, 'id' | 'alias' | 'digest'> | null;
  /** The file uploaded: the run's file of that disk (the top of its chain) or the file named. */
  readonly file: string;
  readonly probe: ImageProbe;
  readonly diskName: string;
  readonly description: string;
  /** What the plan notes (the chain it collapses, the allocation). */
  readonly notes: readonly string[];
}

/** The restore of one source, planned: nothing exists on the engine yet. */
export interface RestorePlan {
  readonly source: string;
  /** The run's manifest; null for a plain file. */
  readonly manifest: BackupManifest | null;
  readonly domain: StorageDomain;
  readonly vm: { readonly id: string; readonly name: string } | null;
  readonly verify: boolean;
  readonly items: readonly RestoreItem[];
}

/** One disk restored. */
export interface RestoredDisk {
  readonly item: RestoreItem;
  readonly upload: UploadResult;
  /** The backup's own digest matched the data sent: true; null when the backup recorded none comparable. */
  readonly matchesBackup: boolean | null;
  /** The VM the disk was attached to, if asked. */
  readonly attachedTo: { readonly id: string; readonly name: string } | null;
}

function refuse(message: string): DiskFerryError {
  return new DiskFerryError('bad-input', message, { retryable: false });
}

/** Plans a restore: reads the manifest (or probes the file), picks the disks, finds the VM, checks the domain. */
export async function planRestore(deps: TransferDeps, request: RestoreRequest, signal?: AbortSignal): Promise<RestorePlan> {
  const source = resolve(request.source);
  const st = await stat(source).catch((err: unknown) => {
    throw refuse(errorCode(err) === 'ENOENT' ? `${request.source} does not exist. Name a backup run folder (with ${MANIFEST_NAME}) or an image file.` : `${request.source} cannot be read: ${errorMessage(err)}`);
  });
  const domain = await deps.client.storageDomain(request.storageDomain, signal);
  checkUploadDomain(domain);
  const vm = request.attachVm === undefined ? null : await findVm(deps, request.attachVm, signal);
  const verify = request.verify ?? true;
  const planned = (probe: ImageProbe, diskName: string) => uploadTarget(probe, domain, { storageDomain: domain.id, diskName, verify });

  if (!st.isDirectory()) {
    if (request.disks && request.disks.length > 0) throw refuse('--disk chooses disks of a backup run folder; a single file is one disk.');
    const probe = await probeImageOnce(source);
    const diskName = request.name ?? defaultDiskName(probe.name);
    const { notes } = planned(probe, diskName);
    return { source, manifest: null, domain, vm, verify, items: [{ backupDisk: null, file: source, probe, diskName, description: `Restored by DiskFerry from ${probe.name}`, notes }] };
  }

  const manifest = await readManifest(source);
  if (manifest === null)
    throw refuse(`${source} has no ${MANIFEST_NAME}: it is an unfinished backup run (it was interrupted, or is still running), and nothing in it is restored. Restore a finished run of the same VM instead.`);
  const chosen = chooseDisks(manifest, request.disks ?? [], source);
  const items: RestoreItem[] = [];
  for (const d of chosen) {
    const file = join(source, d.file);
    const probe = await probeImageOnce(file);
    if (probe.virtualSize !== d.virtualSize)
      throw refuse(`${file} holds ${probe.virtualSize} bytes of guest data, but the manifest says disk ${d.alias} had ${d.virtualSize}. The run folder was changed after the backup; restore another run.`);
    const diskName = request.name === undefined ? restoredDiskName(d.alias, source) : chosen.length === 1 ? request.name : `${request.name}-${d.alias}`;
    const { notes } = planned(probe, diskName);
    items.push({ backupDisk: { id: d.id, alias: d.alias, digest: d.digest }, file, probe, diskName, description: `Restored by DiskFerry from the ${manifest.kind} backup ${basename(source)} of VM ${manifest.vm.name}, disk ${d.alias}`, notes });
  }
  return { source, manifest, domain, vm, verify, items };
}

/** The default name of a disk restored from a run: `<alias>-<run time>`. */
export function restoredDiskName(alias: string, runDir: string): string {
  return `${alias}-${basename(runDir).replace(/-(full|incremental|snapshot)$/, '')}`;
}

/** The run's disks the user chose (by alias or id), all when none was named; an unknown name is refused with the list. */
function chooseDisks(manifest: BackupManifest, wanted: readonly string[], source: string): BackupDiskEntry[] {
  if (manifest.disks.length === 0) throw refuse(`The backup run ${source} holds no disks.`);
  if (wanted.length === 0) return [...manifest.disks];
  const known = manifest.disks.map((d) => d.alias).join(', ');
  return wanted.map((w) => {
    const hit = manifest.disks.find((d) => d.alias === w || d.id === w);
    if (!hit) throw refuse(`The backup run ${basename(source)} has no disk '${w}'. Its disks: ${known}.`);
    return hit;
  });
}

/** A VM by id, or by exact name (an ambiguous name is refused). */
export async function findVm(deps: TransferDeps, idOrName: string, signal?: AbortSignal): Promise<{ id: string; name: string }> {
  if (/^[0-9a-f-]{36}$/i.test(idOrName)) {
    const vm = await deps.client.backups.vm(idOrName, signal);
    if (vm) return { id: vm.id, name: vm.name };
  }
  const matches = (await deps.client.vms(signal ? { signal } : {})).filter((v) => v.name === idOrName);
  if (matches.length === 1) return { id: matches[0]!.id, name: matches[0]!.name };
  if (matches.length > 1) throw refuse(`${matches.length} VMs are named '${idOrName}'. Use the VM's id with --attach.`);
  throw new DiskFerryError('not-found', `No VM '${idOrName}' on this engine, so nothing was restored. Check the name (diskferry vms lists them).`, { retryable: false });
}

/** Where a planned disk comes from, as a restore job carries it (restore-job.ts). */
export function restoreOrigin(plan: RestorePlan, item: RestoreItem): RestoreOrigin {
  const m = plan.manifest;
  return {
    run: m ? plan.source : null,
    runKind: m?.kind ?? null,
    runStartedAt: m?.startedAt ?? null,
    vm: m ? { id: m.vm.id, name: m.vm.name } : null,
    backupDisk: item.backupDisk ? { id: item.backupDisk.id, alias: item.backupDisk.alias, digest: item.backupDisk.digest } : null,
    attachVm: plan.vm,
  };
}

/** The upload a planned disk is: the upload rules' target (from the kept probe), on the plan's domain, with the format and allocation asked for. */
export function restoreUpload(plan: RestorePlan, item: RestoreItem, choices: { readonly diskFormat?: 'raw' | 'cow' | undefined; readonly preallocated?: boolean | undefined } = {}): UploadTarget {
  return uploadTarget(item.probe, plan.domain, { storageDomain: plan.domain.id, diskName: item.diskName, verify: plan.verify, diskFormat: choices.diskFormat, preallocated: choices.preallocated }).target;
}

/**
 * Restores one planned disk at once (the command line's `restore`; the queue runs the same steps for
 * a restore job): the normal upload (a failure deletes the new disk, as any upload's does), then the
 * backup's digest compared and the attachment (finishRestore).
 */
export async function restoreDisk(deps: TransferDeps, plan: RestorePlan, item: RestoreItem, options: UploadImageOptions = {}): Promise<RestoredDisk> {
  const upload = await uploadImage(deps, { ...restoreUpload(plan, item), description: item.description }, options);
  const c = upload.report.checksum;
  const done = await finishRestore(
    deps,
    restoreOrigin(plan, item),
    { diskId: upload.diskId, diskName: upload.diskName, file: item.file, digest: upload.digest, checksum: { algorithm: c.algorithm, blockSize: c.blockSize } },
    { signal: options.control?.cancelSignal },
  );
  return { item, upload, matchesBackup: done.matchesBackup, attachedTo: done.attachedTo };
}
