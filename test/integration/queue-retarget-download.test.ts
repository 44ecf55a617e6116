/**
 * A download stopped part way and sent to another file (Change and retry…): its `NAME.part` and
 * journal move with it when the new target can continue them (same disk, same format, another
 * folder), so only what was missing crosses the network; for another format they are removed, so
 * nothing stale is left in the old folder. Through the queue with the real engine runner.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransferQueue } from '../../main/engine/queue/transfer-queue.js';
import { expectFileEqualsDisk, MiB, startHarness, type DataRun, type Harness } from './helpers.js';
import { addSimDisk, downloadPath, openSimQueue } from './queue-helpers.js';

const SIZE = 64 * MiB;
const RUNS: readonly DataRun[] = [
  { start: 0, length: 12 * MiB },
  { start: 32 * MiB, length: 12 * MiB },
];
const DATA = 24 * MiB;

/** Waits until `test` holds, polling. */
async function until(test: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts a download into `dir`, lets 8 MiB or more of its data arrive, then cancels it (a download keeps its partial file). */
async function stoppedPartWay(h: Harness, q: TransferQueue, name: string, dir: string) {
  const diskId = await addSimDisk(h.sim, name, SIZE, RUNS);
  h.sim.faults.bandwidthBytesPerSecond = 8 * MiB;
  const [job] = await q.add([{ kind: 'download', engine: 'e', start: 'now', download: { disk: diskId, diskName: name, outputDir: dir } }]);
  q.start();
  await until(() => q.get(job!.id).progress.bytesOnWire >= 8 * MiB, 'the first 8 MiB');
  q.cancel(job!.id);
  await until(() => q.get(job!.id).state === 'cancelled', 'the cancel');
  h.sim.faults.bandwidthBytesPerSecond = null;
  expect((await readdir(dir)).sort()).toEqual([`${name}.raw.part`, `${name}.raw.part.journal`]);
  return { diskId, id: job!.id };
}

describe('a stopped download sent to another file', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('4.5');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('takes its partial file along to another folder and fetches only what was missing', { timeout: 60_000 }, async () => {
    const [from, to] = [join(h.dir, 'move-a'), join(h.dir, 'move-b')];
    await mkdir(from);
    await mkdir(to);
    const { q } = await openSimQueue(h);
    const { diskId, id } = await stoppedPartWay(h, q, 'moved', from);
    await q.retarget(id, { kind: 'download', download: { disk: diskId, diskName: 'moved', outputDir: to } });
    await until(() => q.get(id).state === 'completed', 'the download');
    const result = q.get(id).result!;
    expect(result.resumedBytes).toBeGreaterThanOrEqual(4 * MiB);
    expect(result.bytesOnWire).toBe(DATA - result.resumedBytes);
    expect(await readdir(from)).toEqual([]);
    expect(await readdir(to)).toEqual(['moved.raw']);
    await expectFileEqualsDisk(h.sim, diskId, downloadPath(to, 'moved'));
    await q.close();
  });

  it('removes the partial file when the new target cannot continue it (another format)', { timeout: 60_000 }, async () => {
    const [from, to] = [join(h.dir, 'fmt-a'), join(h.dir, 'fmt-b')];
    await mkdir(from);
    await mkdir(to);
    const { q } = await openSimQueue(h);
    const { diskId, id } = await stoppedPartWay(h, q, 'reformatted', from);
    await q.retarget(id, { kind: 'download', download: { disk: diskId, diskName: 'reformatted', outputDir: to, format: 'qcow2' } });
    expect(await readdir(from)).toEqual([]);
    await until(() => q.get(id).state === 'completed', 'the download');
    expect(q.get(id).result!.resumedBytes).toBe(0);
    expect(await readdir(to)).toEqual(['reformatted.qcow2']);
    await q.close();
  });
});
