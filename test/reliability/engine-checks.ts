/**
 * Checks every reliability case ends with: nothing left locked or open on the simulated engine, a
 * failed upload's disk really gone, and what a download journal claims. Built on the integration
 * helpers (imported, not copied).
 */
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { PartFile } from '../../main/engine/transfer/part-file.js';
import { RangeSet } from '../../shared/range-set.js';
import type { Simulator } from '../../main/simulator/simulator.js';
import { until, type DataRun } from '../integration/helpers.js';

/** Which disks a check looks at (all when absent). */
export type DiskFilter = (disk: { readonly id: string; readonly name: string }) => boolean;

/** Transfers the engine still has open (any phase but finished_*), as `id:phase`. */
export function openTransfers(sim: Simulator, only: DiskFilter = () => true): string[] {
  const disks = sim.engine.state.disks;
  return [...sim.engine.state.transfers.values()]
    .filter((t) => !t.phase.startsWith('finished') && only({ id: t.diskId, name: disks.get(t.diskId)?.name ?? '' }))
    .map((t) => `${t.id}:${t.phase}`);
}

/** Disks that are locked (a transfer or a deletion holds them), as `name:status`. */
export function lockedDisks(sim: Simulator, only: DiskFilter = () => true): string[] {
  return [...sim.engine.state.disks.values()].filter((d) => (d.status === 'locked' || d.removing) && only(d)).map((d) => `${d.name}:${d.status}`);
}

/**
 * Asserts that the engine settles with no transfer open and no disk locked. The engine's phase
 * poller finishes transfers on its own clock, so this waits (generously) before asserting.
 */
export async function expectEngineClean(sim: Simulator, only?: DiskFilter): Promise<void> {
  await until(() => openTransfers(sim, only).length === 0 && lockedDisks(sim, only).length === 0, 30_000, 'the engine to settle').catch(() => {});
  expect(openTransfers(sim, only), 'transfers left open on the engine').toEqual([]);
  expect(lockedDisks(sim, only), 'disks left locked on the engine').toEqual([]);
}

/** Asserts that no disk named `name` exists on the engine (a failed upload's disk was deleted). */
export async function expectNoDiskNamed(sim: Simulator, name: string, context = ''): Promise<void> {
  const named = () => [...sim.engine.state.disks.values()].filter((d) => d.name === name);
  await until(() => named().length === 0, 30_000, `disk '${name}' to be deleted`).catch(() => {});
  expect(named().map((d) => `${d.id}:${d.status}`), `disks named '${name}' ${context}`).toEqual([]);
}

/** The completed ranges the journal of a download's partial file records (empty without a journal). */
export async function journaledRanges(finalPath: string): Promise<RangeSet> {
  const text = await readFile(PartFile.journalPath(finalPath), 'utf8').catch(() => null);
  if (!text) return new RangeSet();
  return RangeSet.from((JSON.parse(text) as { done: Array<[number, number]> }).done.map(([start, end]) => ({ start, end })));
}

/** Bytes of `runs` (the data of a disk) that the journal of `finalPath` marks done. */
export async function journaledData(finalPath: string, runs: readonly DataRun[]): Promise<number> {
  const done = await journaledRanges(finalPath);
  return runs.reduce((sum, r) => sum + [...done.within(r.start, r.start + r.length)].reduce((s, d) => s + (d.end - d.start), 0), 0);
}
