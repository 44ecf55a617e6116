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
  };
}

/** The disk name for a file: its name without the extension. */
export function suggestedDiskName(fileName: string): string {
  const base = basename(fileName, extname(fileName));
  return base === '' ? fileName : base;
}

/** Probes every path (in parallel, a few at a time); a file that cannot go up gets its problem. */
export async function planUploads(paths: readonly string[], suggestedDomain: string | null): Promise<UploadPlan> {
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
        items[i] = { path, fileName: name, format: null, virtualSize: null, fileSize: null, diskName: suggestedDiskName(name), diskFormat: 'raw', problem: asDiskFerryError(err).toInfo() };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, paths.length) }, worker));
  return { items, storageDomainId: suggestedDomain };
}
