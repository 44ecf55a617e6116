/**
 * The backup history of a folder, per VM and run, as a person needs it before a restore: each run
 * finished, unfinished (no manifest) or damaged (a manifest that cannot be read, a disk file missing,
 * an incremental whose base run is gone or damaged), with the chain it belongs to. The manifest and
 * set readers decide; one bad run never hides the others.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errorMessage } from '../errors.js';
import { readManifest, type BackupManifest } from './manifest.js';

const RUN_NAME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-(full|incremental|snapshot)$/;

/** One disk of a run, its file checked. */
export interface HistoryDisk {
  readonly id: string;
  readonly alias: string;
  readonly file: string;
  readonly virtualSize: number;
  readonly dataBytes: number;
  readonly mode: 'full' | 'incremental' | 'snapshot';
  readonly verified: boolean;
  readonly missing: boolean;
}

/** One run of a VM folder. */
export interface HistoryRun {
  readonly name: string;
  readonly path: string;
  readonly state: 'finished' | 'unfinished' | 'damaged';
  readonly kind: BackupManifest['kind'];
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly parentRun: string | null;
  readonly chainRoot: string | null;
  readonly disks: readonly HistoryDisk[];
  readonly notes: readonly string[];
  readonly problem: string | null;
  readonly manifest: BackupManifest | null;
}

/** A VM folder and its runs, oldest first. */
export interface HistoryVm {
  readonly folder: string;
  readonly path: string;
  readonly vmId: string | null;
  readonly vmName: string;
  readonly runs: readonly HistoryRun[];
}

/**
 * The VM folders of `outputDir` that hold runs, by name; each run read and checked. A VM folder
 * itself (its runs directly inside) is read as that one VM, as `diskferry backups list` reads it.
 */
export async function readHistory(outputDir: string): Promise<HistoryVm[]> {
  const own = await readRuns(outputDir);
  if (own.length > 0) return [vmOf(basename(outputDir), outputDir, own)];
  const out: HistoryVm[] = [];
  for (const entry of (await readdir(outputDir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory()) continue;
    const path = join(outputDir, entry.name);
    const runs = await readRuns(path);
    if (runs.length > 0) out.push(vmOf(entry.name, path, runs));
  }
  return out;
}

/** A VM folder's entry: the VM as its newest manifest names it, else as the folder's name does. */
function vmOf(folder: string, path: string, runs: readonly HistoryRun[]): HistoryVm {
  const named = [...runs].reverse().find((r) => r.manifest)?.manifest?.vm ?? null;
  return { folder, path, vmId: named?.id ?? null, vmName: named?.name ?? folder.replace(/-[0-9a-f]{8}$/i, ''), runs };
}

/** The runs of one VM folder, oldest first, each with its state. */
export async function readRuns(vmDir: string): Promise<HistoryRun[]> {
  const names = (await readdir(vmDir).catch(() => [])).filter((n) => RUN_NAME.test(n)).sort();
  const runs: HistoryRun[] = [];
  const byName = new Map<string, HistoryRun>();
  for (const name of names) {
    const path = join(vmDir, name);
    if (!(await stat(path).then((s) => s.isDirectory(), () => false))) continue;
    const run = await readRun(name, path, byName);
    byName.set(name, run);
    runs.push(run);
  }
  return runs;
}

async function readRun(name: string, path: string, earlier: ReadonlyMap<string, HistoryRun>): Promise<HistoryRun> {
  const stamp = RUN_NAME.exec(name)!;
  const folderTime = Date.UTC(+stamp[1]!, +stamp[2]! - 1, +stamp[3]!, +stamp[4]!, +stamp[5]!, +stamp[6]!);
  const base = { name, path, kind: stamp[7] as BackupManifest['kind'], startedAt: folderTime, finishedAt: null, parentRun: null, chainRoot: null, disks: [], notes: [], manifest: null };
  let manifest: BackupManifest | null;
  try {
    manifest = await readManifest(path);
  } catch (err) {
    return { ...base, state: 'damaged', problem: `Its manifest cannot be read (${errorMessage(err)}). Restore another run.` };
  }
  if (manifest === null) return { ...base, state: 'unfinished', problem: 'No manifest: the run was interrupted, or is still running. Nothing in it can be restored; the next backup of the VM removes it.' };
  const disks: HistoryDisk[] = [];
  for (const d of manifest.disks) {
    const file = join(path, d.file);
    const missing = !(await stat(file).then((s) => s.isFile(), () => false));
    disks.push({ id: d.id, alias: d.alias, file, virtualSize: d.virtualSize, dataBytes: d.dataBytes, mode: d.mode, verified: d.digest !== null, missing });
  }
  const parent = manifest.parentRun === null ? null : (earlier.get(manifest.parentRun) ?? null);
  const problems: string[] = [];
  const gone = disks.filter((d) => d.missing);
  if (gone.length > 0) problems.push(`${gone.map((d) => d.file).join(', ')} ${gone.length === 1 ? 'is' : 'are'} missing.`);
  if (manifest.parentRun !== null && parent?.state !== 'finished')
    problems.push(parent ? `The run it builds on, ${manifest.parentRun}, is ${parent.state}.` : `The run it builds on, ${manifest.parentRun}, is gone.`);
  const startedAt = Date.parse(manifest.startedAt);
  const finishedAt = Date.parse(manifest.finishedAt);
  return {
    ...base,
    kind: manifest.kind,
    state: problems.length > 0 ? 'damaged' : 'finished',
    startedAt: Number.isNaN(startedAt) ? folderTime : startedAt,
    finishedAt: Number.isNaN(finishedAt) ? null : finishedAt,
    parentRun: manifest.parentRun,
    chainRoot: manifest.parentRun === null ? null : (parent?.chainRoot ?? manifest.parentRun),
    disks,
    notes: manifest.notes,
    problem: problems.length > 0 ? `${problems.join(' ')} This run cannot be restored; restore another run.` : null,
    manifest,
  };
}
