/**
 * Reading a backup set on disk (manifest.ts has the layout): the names of VM folders and disk files,
 * the runs of a VM folder in time order with their manifests, the run an incremental builds on, and
 * the chains retention keeps or deletes whole.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from '../errors.js';
import { readManifest, type BackupManifest } from './manifest.js';

/** A name made safe as one path segment on every OS (no separators, no control or reserved characters). */
export function safeSegment(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is replaced
  const s = name.replace(/[\u0000-\u001f<>:"/\\|?*]+/g, '_').replace(/^[.\s]+|[.\s]+$/g, '');
  return s === '' ? '_' : s.slice(0, 120);
}

/** The folder of a VM's backups inside the output folder: `<vm name>-<first 8 of vm id>`. */
export function vmFolderName(vm: { readonly id: string; readonly name: string }): string {
  return `${safeSegment(vm.name)}-${vm.id.slice(0, 8)}`;
}

/** A disk's file inside a run folder: `<disk alias>-<first 8 of disk id>.qcow2`. */
export function diskFileName(disk: { readonly id: string; readonly name: string }): string {
  return `${safeSegment(disk.name)}-${disk.id.slice(0, 8)}.qcow2`;
}

/** One run folder of a VM folder. */
export interface RunEntry {
  /** The folder's name (`20261206T221500Z-full`). */
  readonly name: string;
  readonly dir: string;
  /** Null: the run did not finish (no manifest). */
  readonly manifest: BackupManifest | null;
}

const RUN_NAME = /^\d{8}T\d{6}Z-(full|incremental|snapshot)$/;

/** The runs of a VM folder, oldest first; folders that are not runs are left out. An absent folder has none. */
export async function listRuns(vmDir: string): Promise<RunEntry[]> {
  let names: string[];
  try {
    names = await readdir(vmDir);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return [];
    throw err;
  }
  const out: RunEntry[] = [];
  for (const name of names.filter((n) => RUN_NAME.test(n)).sort()) {
    const dir = join(vmDir, name);
    if (!(await stat(dir)).isDirectory()) continue;
    out.push({ name, dir, manifest: await readManifest(dir) });
  }
  return out;
}

/** The VM folders of an output folder: those with at least one run. */
export async function listVmFolders(outputDir: string): Promise<Array<{ readonly name: string; readonly dir: string; readonly runs: RunEntry[] }>> {
  const out: Array<{ name: string; dir: string; runs: RunEntry[] }> = [];
  for (const entry of (await readdir(outputDir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory()) continue;
    const dir = join(outputDir, entry.name);
    const runs = await listRuns(dir);
    if (runs.length > 0) out.push({ name: entry.name, dir, runs });
  }
  return out;
}

/**
 * The VM's folder in `outputDir`: the one named after it, or one that ends with its id's first 8
 * characters and whose runs are of this VM (it was renamed since). Null when it has no backups here.
 */
export async function findVmFolder(outputDir: string, vm: { readonly id: string; readonly name: string }): Promise<string | null> {
  const exact = join(outputDir, vmFolderName(vm));
  if ((await listRuns(exact)).length > 0) return exact;
  for (const f of await listVmFolders(outputDir).catch(() => [])) {
    if (f.name.endsWith(`-${vm.id.slice(0, 8)}`) && f.runs.some((r) => r.manifest?.vm.id === vm.id)) return f.dir;
  }
  return null;
}

/** The last finished run of this VM. */
export function lastRun(runs: readonly RunEntry[]): (RunEntry & { readonly manifest: BackupManifest }) | null {
  for (let i = runs.length - 1; i >= 0; i--) {
    const r = runs[i]!;
    if (r.manifest) return { ...r, manifest: r.manifest };
  }
  return null;
}

/**
 * The run the next incremental backup builds on: the last finished run with a checkpoint (a
 * snapshot run or a run of an engine without checkpoints has none, and then nothing can follow it).
 */
export function incrementalParent(runs: readonly RunEntry[]): (RunEntry & { readonly manifest: BackupManifest }) | null {
  const last = lastRun(runs);
  return last && last.manifest.toCheckpointId !== null && last.manifest.kind !== 'snapshot' ? last : null;
}

/** A full run and the runs that build on it, oldest first. */
export interface Chain {
  readonly root: RunEntry & { readonly manifest: BackupManifest };
  readonly runs: ReadonlyArray<RunEntry & { readonly manifest: BackupManifest }>;
}

/**
 * The finished runs grouped into chains, oldest chain first: a run without a parent starts one; an
 * incremental joins the chain of its parent. An incremental whose parent is gone is a chain of its
 * own (it cannot be restored, but it is not deleted by mistake with a chain it does not belong to).
 */
export function chains(runs: readonly RunEntry[]): Chain[] {
  const byRun = new Map<string, { root: Chain['root']; runs: Array<Chain['root']> }>();
  const out: Array<{ root: Chain['root']; runs: Array<Chain['root']> }> = [];
  for (const r of runs) {
    if (!r.manifest) continue;
    const run = { ...r, manifest: r.manifest };
    const parent = r.manifest.parentRun === null ? undefined : byRun.get(r.manifest.parentRun);
    const chain = parent ?? { root: run, runs: [] };
    if (!parent) out.push(chain);
    chain.runs.push(run);
    byRun.set(r.name, chain);
  }
  return out;
}
