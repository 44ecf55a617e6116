/**
 * What uploadRanges reports as durable (onFlushed), the ground an upload journal stands on: the
 * ranges a PATCH flush covered, only once it succeeded; after a 500 on a flush, those ranges only
 * when they were sent again and a later flush succeeded. Against the simulated imageio server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { planRanges, type PlannedRange } from '../../../main/engine/imageio/plan.js';
import { openImageio, type ImageioSession } from '../../../main/engine/imageio/session.js';
import { uploadRanges } from '../../../main/engine/imageio/upload.js';
import { bufferSource, instantSleep, makeImage, memoryLog, MiB } from './helpers.js';
import { startImageioFixture, type ImageioFixture } from './sim-fixture.js';

let fx: ImageioFixture | null = null;
let session: ImageioSession | null = null;
afterEach(async () => {
  await session?.close();
  session = null;
  await fx?.close();
  fx = null;
});

/** Uploads 16 MiB in 4 MiB requests with one worker and a flush every 8 MiB; returns the onFlushed calls in MiB. */
async function flushedCalls(failNthFlush: number | null): Promise<{ calls: number[][][]; image: Buffer; bytes: Buffer }> {
  const size = 16 * MiB;
  const { bytes, extents } = makeImage(size, [[0, size]]);
  fx = await startImageioFixture();
  const t = await fx.addTicket(size, ['write']);
  session = await openImageio({ transferUrl: t.transferUrl, proxyUrl: null, trust: { caPem: [fx.caPem] }, log: memoryLog(), sleep: instantSleep(), signal: new AbortController().signal });
  fx.faults.failNthFlush = failNthFlush;
  const calls: number[][][] = [];
  const onFlushed = (rs: readonly PlannedRange[]) => {
    if (rs.length > 0) calls.push(rs.map((r) => [r.start / MiB, (r.start + r.length) / MiB]).sort((a, b) => a[0]! - b[0]!));
  };
  await uploadRanges({ session, source: bufferSource(bytes), plan: planRanges(extents, { maxRequest: 4 * MiB }), workers: 1, zeroMode: 'skip', flushEvery: 8 * MiB, onFlushed, signal: new AbortController().signal });
  return { calls, image: await t.image.read(0, size), bytes };
}

describe('uploadRanges: onFlushed', () => {
  it('reports the ranges each flush covered, once it succeeded', async () => {
    const { calls, image, bytes } = await flushedCalls(null);
    expect(calls).toEqual([
      [
        [0, 4],
        [4, 8],
      ],
      [
        [8, 12],
        [12, 16],
      ],
    ]);
    expect(image.equals(bytes)).toBe(true);
  });

  it('after a 500 on a flush, reports its ranges only once they were sent again and a later flush succeeded', async () => {
    const { calls, image, bytes } = await flushedCalls(1);
    // The failed flush covered [0, 8): those ranges went to the back of the queue, so the first
    // report is of [8, 16), and [0, 8) comes only after its second flush.
    expect(calls).toEqual([
      [
        [8, 12],
        [12, 16],
      ],
      [
        [0, 4],
        [4, 8],
      ],
    ]);
    expect(image.equals(bytes)).toBe(true);
  });

  it('counts only data towards the next flush: zeroing the empty areas of a thin disk adds none', async () => {
    const size = 40 * MiB;
    const { bytes, extents } = makeImage(size, [[0, 4 * MiB]]);
    fx = await startImageioFixture();
    const t = await fx.addTicket(size, ['write']);
    session = await openImageio({ transferUrl: t.transferUrl, proxyUrl: null, trust: { caPem: [fx.caPem] }, log: memoryLog(), sleep: instantSleep(), signal: new AbortController().signal });
    const calls: number[] = [];
    const plan = planRanges(extents, { maxRequest: 4 * MiB });
    expect(plan.filter((r) => r.zero).length).toBeGreaterThan(1);
    await uploadRanges({ session, source: bufferSource(bytes), plan, workers: 1, zeroMode: 'patch', flushEvery: 8 * MiB, onFlushed: (rs) => calls.push(rs.length), signal: new AbortController().signal });
    // One flush, at the end, covering the data and every zeroed range.
    expect(calls).toEqual([plan.length]);
    expect((await t.image.read(0, size)).equals(bytes)).toBe(true);
  });
});
