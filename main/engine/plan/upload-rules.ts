/**
 * The rules of an upload, each decided here once: the default disk name, the disk format (ISO → raw,
 * qcow2 → cow), the allocation (ISO and raw on block storage are preallocated), which storage domains
 * take uploads, how much room a disk takes on its domain and whether the domain has it, and what the
 * engine version allows (reference/engine.md §3.2, §4.10). The app's plan sheet, the app's and the
 * CLI's queued jobs and the run itself ask these functions. Pure.
 */
import { basename, extname } from 'node:path';
import { DiskFerryError } from '../errors.js';
import type { ImageStamp, LocalImageFormat } from '../image/probe.js';
import type { DiskFormat, EngineVersion, StorageDomain } from '../ovirt/types.js';
import { supportsFormat, versionAtLeast } from '../ovirt/versions.js';

/** What the user chose for an upload; each absent choice takes its rule's default. */
export interface UploadChoices {
  /** Default: the file name without its extension. */
  readonly diskName?: string | undefined;
  /** Default: cow for qcow2 files, raw otherwise; always raw for ISO. */
  readonly diskFormat?: DiskFormat | undefined;
  /** Allocate the whole disk now (implied for ISO and for raw on block storage). Default false. */
  readonly preallocated?: boolean | undefined;
}

/** The disk name for a file: its name without the extension (the whole name when nothing is left). */
export function defaultDiskName(fileName: string): string {
  const base = basename(fileName, extname(fileName));
  return base === '' ? basename(fileName) : base;
}

/**
 * Whether a file is named like an ISO (.iso) without being one: the probe found no ISO 9660
 * signature ("CD001" at byte 32769), so it goes up as what it is, and the user is told.
 */
export function namedIsoButNotIso(probe: { readonly name: string; readonly format: LocalImageFormat }): boolean {
  return probe.format !== 'iso' && extname(probe.name).toLowerCase() === '.iso';
}

/** What the user should know about the file itself before it goes up (the plan's and the job's notes). */
export function imageNotes(probe: { readonly name: string; readonly format: LocalImageFormat }): string[] {
  if (!namedIsoButNotIso(probe)) return [];
  const as = probe.format === 'qcow2' ? 'it is a qcow2 image and is uploaded as one' : 'treated as a raw disk';
  return [`${probe.name} is not an ISO 9660 image (no CD001 signature at byte 32769); ${as}.`];
}

/** The disk format for a local image: an ISO always goes into a raw disk; else the choice, else cow for qcow2. */
export function diskFormatFor(local: LocalImageFormat, requested?: DiskFormat): DiskFormat {
  if (local === 'iso') return 'raw';
  return requested ?? (local === 'qcow2' ? 'cow' : 'raw');
}

/** True for a storage domain that takes uploads now: an active data domain. */
export function acceptsUploads(domain: Pick<StorageDomain, 'type' | 'status'>): boolean {
  return domain.type === 'data' && domain.status === 'active';
}

/** Throws bad-input, in words, unless the domain takes uploads now (see `acceptsUploads`). */
export function checkUploadDomain(domain: Pick<StorageDomain, 'name' | 'type' | 'status'>): void {
  if (domain.type !== 'data')
    throw new DiskFerryError('bad-input', `${domain.name} is not a data domain (its type is ${domain.type}); disks, ISO images included, can be uploaded only to data domains.`, { retryable: false, subject: { kind: 'domain', name: domain.name } });
  if (domain.status !== 'active')
    throw new DiskFerryError('bad-input', `${domain.name} is not active (its status: ${domain.status.replace(/_/g, ' ')}). Activate it, or choose another storage domain.`, {
      retryable: false,
      subject: { kind: 'domain', name: domain.name },
    });
}

/** What the plan says of a qcow2 with a backing chain (`files`: the top and every layer under it). */
export function chainNote(name: string, files: number): string {
  return `${name} has a backing chain: uploads the whole chain collapsed: ${files} files.`;
}

/**
 * Bytes the new disk takes on its storage domain once the image is in it, as the engine counts it: a
 * preallocated disk its whole virtual size (a cow one with its qcow2 tables and the engine's 10 %
 * margin); a thin raw disk its data; a thin cow disk its data with the qcow2 overhead (on block
 * storage that is the logical volume's initial size).
 */
export function uploadSpaceNeeded(layout: Pick<UploadLayout, 'format' | 'sparse'>, virtualSize: number, dataBytes: number): number {
  const data = Math.min(dataBytes, virtualSize);
  if (layout.format === 'cow') return qcow2SizeEstimate(virtualSize, layout.sparse ? data : virtualSize);
  return layout.sparse ? data : virtualSize;
}

/**
 * Bytes a storage domain can give a new disk: its free space, or none when that is below its
 * critical space threshold (the engine then creates no disk there at all); null when it does not say.
 */
export function uploadRoom(domain: Pick<StorageDomain, 'available' | 'criticalSpace'>): number | null {
  if (domain.available === null) return null;
  return domain.criticalSpace !== null && domain.available < domain.criticalSpace ? 0 : domain.available;
}

/** Throws domain-full, in words, unless the domain can give `needed` bytes to the disk of `fileName`. */
export function checkUploadSpace(domain: Pick<StorageDomain, 'name' | 'available' | 'criticalSpace'>, needed: number, fileName: string): void {
  const room = uploadRoom(domain);
  if (room === null || needed <= room) return;
  const free = gib(domain.available ?? 0);
  if (room === 0 && domain.criticalSpace !== null)
    throw new DiskFerryError(
      'domain-full',
      `${domain.name} has ${free} free, below its critical space threshold of ${gib(domain.criticalSpace)}: the engine creates no disk there. Choose another storage domain, or free space on it.`,
      { retryable: false, subject: { kind: 'domain', name: domain.name }, needed },
    );
  throw new DiskFerryError('domain-full', `${domain.name} has ${free} free, not enough for ${fileName} (${gib(needed)}). Choose another storage domain.`, {
    retryable: false,
    subject: { kind: 'domain', name: domain.name },
    needed,
  });
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** The new disk's format and allocation, with what the user should know about them. */
export interface UploadLayout {
  readonly format: DiskFormat;
  readonly sparse: boolean;
  readonly notes: readonly string[];
}

/** Decides the disk format and allocation of an image on a storage domain. */
export function uploadLayout(local: LocalImageFormat, choices: UploadChoices, domain: Pick<StorageDomain, 'name' | 'isBlock'>): UploadLayout {
  const notes: string[] = [];
  const format = diskFormatFor(local, choices.diskFormat);
  if (local === 'iso' && choices.diskFormat === 'cow') notes.push('ISO images are uploaded as raw disks.');
  let sparse = !(choices.preallocated ?? false) && local !== 'iso';
  if (domain.isBlock && format === 'raw' && sparse) {
    sparse = false;
    notes.push(`${domain.name} is block storage, where raw disks are always preallocated.`);
  }
  return { format, sparse, notes };
}

/** How the image goes over the wire and into which disk. */
export interface UploadPlan extends UploadLayout {
  readonly diskName: string;
  readonly contentType: 'data' | 'iso';
  /** `raw` selects the NBD backend (guest data, 4.3+); null sends the file's bytes as they are (FILE backend). */
  readonly transferFormat: 'raw' | null;
  readonly backup: 'incremental' | null;
  readonly initialSize: number | null;
}

/** Decides everything about the new disk and the transfer for this engine version. */
export function planUpload(
  probe: ImageStamp & { readonly name: string },
  choices: UploadChoices,
  domain: Pick<StorageDomain, 'name' | 'isBlock'>,
  version: EngineVersion,
  dataBytes: number | null,
): UploadPlan {
  const { format, sparse, notes } = uploadLayout(probe.format, choices, domain);
  const nbd = supportsFormat(version);
  if (probe.format === 'qcow2' && format === 'raw' && !nbd)
    throw new DiskFerryError('bad-input', `This engine (${version.full}) cannot convert qcow2 to a raw disk. Upload it as a cow disk, or convert it locally first.`, {
      retryable: false,
    });
  if (probe.format !== 'qcow2' && format === 'cow' && !nbd)
    throw new DiskFerryError('bad-input', `This engine (${version.full}) cannot store a raw image in a cow disk. Use --disk-format raw.`, { retryable: false });
  // Where the engine has the NBD backend every image goes as guest data (a qcow2 is read natively);
  // older engines get the file's bytes as they are (FILE backend), a qcow2 into a cow disk.
  const transferFormat: 'raw' | null = nbd ? 'raw' : null;
  const backup = format === 'cow' && versionAtLeast(version, 4, 3) ? 'incremental' : null;
  // The engine allows a preallocated cow disk only with incremental backup (reference/engine.md §3.2).
  if (format === 'cow' && !sparse && backup === null)
    throw new DiskFerryError(
      'bad-input',
      `This engine (${version.full}) cannot create a preallocated cow disk: that needs incremental backup, which came with oVirt 4.3. Upload it without --preallocated (a sparse cow disk).`,
      { retryable: false },
    );
  let initialSize: number | null = null;
  if (format === 'cow' && sparse && domain.isBlock) {
    initialSize = probe.format === 'qcow2' && !nbd ? probe.fileSize : qcow2SizeEstimate(probe.virtualSize, dataBytes ?? probe.virtualSize);
  }
  const diskName = choices.diskName ?? defaultDiskName(probe.name);
  return { diskName, format, sparse, notes, contentType: probe.format === 'iso' ? 'iso' : 'data', transferFormat, backup, initialSize };
}

/** Bytes a qcow2 (64 KiB clusters) needs to hold `dataBytes` of a `virtualSize` image, with margin. */
export function qcow2SizeEstimate(virtualSize: number, dataBytes: number): number {
  const cluster = 64 * 1024;
  const clusters = Math.ceil(dataBytes / cluster);
  const l2 = Math.ceil(Math.ceil(virtualSize / cluster) / (cluster / 8)) * cluster;
  const refcounts = Math.ceil((clusters * 2) / cluster) * cluster + cluster;
  return Math.ceil(((clusters * cluster + l2 + refcounts + 4 * cluster) * 1.1) / cluster) * cluster;
}
