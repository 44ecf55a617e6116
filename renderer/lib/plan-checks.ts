/**
 * What a plan sheet says about its rows before anything starts, from what main measured and
 * decided: the room a row's disk takes on the chosen domain against the domain's room, the VMs
 * that keep a disk from being downloaded, and the words of a start's outcome (what was queued,
 * what was left out and why). Pure; tested.
 */
import type { AddTransfersResult, DiskFormat, DiskView, SkippedReason, StorageDomainView, UploadPlanItem } from '../../shared/ipc.js';

/** Whether a row's disk fits on the domain: main's `room` against main's `spaceNeeded`. */
export type SpaceVerdict =
  | { readonly kind: 'fits' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'short'; readonly need: number; readonly free: number }
  | { readonly kind: 'below-threshold'; readonly free: number; readonly threshold: number };

/** The room the row's disk takes with these choices on a domain of this kind; null when not measured. */
export function spaceNeed(item: Pick<UploadPlanItem, 'spaceNeeded'>, diskFormat: DiskFormat, preallocated: boolean, isBlock: boolean): number | null {
  return item.spaceNeeded.find((n) => n.diskFormat === diskFormat && n.preallocated === preallocated && n.isBlock === isBlock)?.bytes ?? null;
}

/** Does the row's disk fit on `domain`? */
export function spaceVerdict(
  item: Pick<UploadPlanItem, 'spaceNeeded'>,
  diskFormat: DiskFormat,
  preallocated: boolean,
  domain: Pick<StorageDomainView, 'isBlock' | 'room' | 'available' | 'criticalSpace'> | null,
): SpaceVerdict {
  if (!domain || domain.room === null) return { kind: 'unknown' };
  const need = spaceNeed(item, diskFormat, preallocated, domain.isBlock);
  if (need === null) return { kind: 'unknown' };
  if (need <= domain.room) return { kind: 'fits' };
  if (domain.room === 0 && domain.criticalSpace !== null && (domain.available ?? 0) < domain.criticalSpace)
    return { kind: 'below-threshold', free: domain.available ?? 0, threshold: domain.criticalSpace };
  return { kind: 'short', need, free: domain.available ?? 0 };
}

/** The VMs that are not down and hold the disk (the engine refuses to transfer it while one runs). */
export function runningVms(disk: Pick<DiskView, 'runningVmNames'>): readonly string[] {
  return disk.runningVmNames ?? [];
}

/** An outcome's counts for its summary line: queued, then each reason left out (in a fixed order). */
export function outcomeCounts(result: AddTransfersResult): { readonly queued: number; readonly skipped: readonly { readonly reason: SkippedReason; readonly count: number }[] } {
  const order: SkippedReason[] = ['in-queue', 'in-plan', 'exists'];
  return {
    queued: result.queued.length,
    skipped: order.map((reason) => ({ reason, count: result.skipped.filter((s) => s.reason === reason).length })).filter((r) => r.count > 0),
  };
}

/** The reason a row of the request was left out, by its index; undefined when it was queued. */
export function skippedAt(result: AddTransfersResult, index: number): SkippedReason | undefined {
  return result.skipped.find((s) => s.index === index)?.reason;
}
