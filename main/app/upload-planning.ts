/**
 * `transfers:planUploads`: probe each dropped file and suggest how it goes up, with problems in
 * words and the room its disk would take on a storage domain. The suggestions are the engine's upload rules (engine/plan/upload-rules.ts); the probes are
 * kept, so the confirmed uploads reuse them instead of probing the files again.
 */
import { basename } from 'node:path';
import type { SpaceNeed, UploadPlan, UploadPlanItem } from '../../shared/ipc.js';
import { asDiskFerryError } from '../engine/errors.js';
import { probeImage, type ImageProbe } from '../engine/image/probe.js';
import { dataBytesAtMost } from '../engine/image/data-size.js';
import { defaultDiskName, diskFormatFor, namedIsoButNotIso, uploadLayout, uploadSpaceNeeded } from '../engine/plan/upload-rules.js';
import { fewAtATime } from '../engine/few-at-a-time.js';

/** The room the file's disk takes for each choice that changes it (the upload rules decide each). */
export function spaceNeeds(probe: Pick<ImageProbe, 'format' | 'virtualSize'>, dataBytes: number): SpaceNeed[] {
  const needs: SpaceNeed[] = [];
  for (const diskFormat of ['raw', 'cow'] as const)
    for (const preallocated of [false, true])
      for (const isBlock of [false, true]) {
        const layout = uploadLayout(probe.format, { diskFormat, preallocated }, { name: '', isBlock });
        needs.push({ diskFormat, preallocated, isBlock, bytes: uploadSpaceNeeded(layout, probe.virtualSize, dataBytes) });
      }
  return needs;
}

/** The plan row of one probed file; `dataBytes` is at most its data (image/data-size.ts). */
export function planItemFromProbe(probe: ImageProbe, dataBytes: number): UploadPlanItem {
  return {
    path: probe.path,
    fileName: probe.name,
    format: probe.format,
    virtualSize: probe.virtualSize,
    fileSize: probe.fileSize,
    diskName: defaultDiskName(probe.name),
    diskFormat: diskFormatFor(probe.format),
    problem: null,
    sameNameDisks: null,
    notIso: namedIsoButNotIso(probe),
    spaceNeeded: spaceNeeds(probe, dataBytes),
  };
}

/** How many disks the engine has per name (for the given names); null when it cannot be asked. */
export type CountDisksByName = (names: readonly string[]) => Promise<ReadonlyMap<string, number> | null>;

/** Plans larger than this skip the same-name check (one engine search per name). */
export const SAME_NAME_CHECK_LIMIT = 50;

/**
 * The probes of the files recently planned, by path, for the uploads the user then confirms (which
 * check the file is unchanged before reusing one). Bounded: the oldest are forgotten first.
 */
export class PlannedImages {
  private readonly probes = new Map<string, ImageProbe>();

  constructor(private readonly limit = 4000) {}

  remember(probe: ImageProbe): void {
    this.probes.delete(probe.path);
    this.probes.set(probe.path, probe);
    for (const oldest of this.probes.keys()) {
      if (this.probes.size <= this.limit) break;
      this.probes.delete(oldest);
    }
  }

  /** The probe of `path` from a plan, if there was one. */
  get(path: string): ImageProbe | undefined {
    return this.probes.get(path);
  }
}

/** Probes every path (in parallel, a few at a time); a file that cannot go up gets its problem. */
export async function planUploads(paths: readonly string[], suggestedDomain: string | null, planned: PlannedImages, countByName?: CountDisksByName): Promise<UploadPlan> {
  const items = await fewAtATime(paths, 4, async (path): Promise<UploadPlanItem> => {
    try {
      const probe = await probeImage(path);
      planned.remember(probe);
      return planItemFromProbe(probe, await dataBytesAtMost(probe));
    } catch (err) {
      const name = basename(path);
      return { path, fileName: name, format: null, virtualSize: null, fileSize: null, diskName: defaultDiskName(name), diskFormat: 'raw', problem: asDiskFerryError(err).toInfo(), sameNameDisks: null, notIso: false, spaceNeeded: [] };
    }
  });
  const names = [...new Set(items.filter((i) => i.problem === null).map((i) => i.diskName))];
  const counts = countByName && names.length > 0 && names.length <= SAME_NAME_CHECK_LIMIT ? await countByName(names).catch(() => null) : null;
  return { items: counts ? items.map((i) => (i.problem === null ? { ...i, sameNameDisks: counts.get(i.diskName) ?? 0 } : i)) : items, storageDomainId: suggestedDomain };
}
