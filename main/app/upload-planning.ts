/** `transfers:planUploads`: probe each dropped file and suggest how it goes up, with problems in words. */
import { basename, extname } from 'node:path';
import type { DiskFormat, UploadPlan, UploadPlanItem } from '../../shared/ipc.js';
import { asDiskFerryError } from '../engine/errors.js';
import { probeImage, type ImageProbe } from '../engine/image/probe.js';

/** The plan row of one probed file. */
export function planItemFromProbe(probe: ImageProbe): UploadPlanItem {
  const diskFormat: DiskFormat = probe.format === 'qcow2' ? 'cow' : 'raw';
  return {
    path: probe.path,
    fileName: probe.name,
    format: probe.format,
    virtualSize: probe.virtualSize,
    fileSize: probe.fileSize,
    diskName: suggestedDiskName(probe.name),
    diskFormat,
    problem: null,
    sameNameDisks: null,
  };
}

/** How many disks the engine has per name (for the given names); null when it cannot be asked. */
export type CountDisksByName = (names: readonly string[]) => Promise<ReadonlyMap<string, number> | null>;

/** Plans larger than this skip the same-name check (one engine search per name). */
export const SAME_NAME_CHECK_LIMIT = 50;

/** The disk name for a file: its name without the extension. */
export function suggestedDiskName(fileName: string): string {
  const base = basename(fileName, extname(fileName));
  return base === '' ? fileName : base;
}

/** Probes every path (in parallel, a few at a time); a file that cannot go up gets its problem. */
export async function planUploads(paths: readonly string[], suggestedDomain: string | null, countByName?: CountDisksByName): Promise<UploadPlan> {
  const items: UploadPlanItem[] = new Array<UploadPlanItem>(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const i = next++;
      const path = paths[i]!;
      try {
        items[i] = planItemFromProbe(await probeImage(path));
      } catch (err) {
        const name = basename(path);
        items[i] = { path, fileName: name, format: null, virtualSize: null, fileSize: null, diskName: suggestedDiskName(name), diskFormat: 'raw', problem: asDiskFerryError(err).toInfo(), sameNameDisks: null };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, paths.length) }, worker));
  const names = [...new Set(items.filter((i) => i.problem === null).map((i) => i.diskName))];
  const counts = countByName && names.length > 0 && names.length <= SAME_NAME_CHECK_LIMIT ? await countByName(names).catch(() => null) : null;
  return { items: counts ? items.map((i) => (i.problem === null ? { ...i, sameNameDisks: counts.get(i.diskName) ?? 0 } : i)) : items, storageDomainId: suggestedDomain };
}
