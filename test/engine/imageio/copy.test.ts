import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openImageio, type ImageioSession } from '../../../main/engine/imageio/session.js';
import { planRanges } from '../../../main/engine/imageio/plan.js';
import { uploadRanges } from '../../../main/engine/imageio/upload.js';
import { downloadRanges } from '../../../main/engine/imageio/download.js';
import type { CopyProgress } from '../../../main/engine/imageio/copy-progress.js';
import { startImageioFixture, type ImageioFixture, type SimTicket } from './sim-fixture.js';
import { bufferSource, makeImage, memoryLog, MiB, scriptedSession } from './helpers.js';
import type { RawRequest } from './raw-server.js';

let fx: ImageioFixture | null = null;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await fx?.close();
  fx = null;
});
const signal = () => new AbortController().signal;

async function open2(size: number, ops: Array<'read' | 'write'> = ['write']): Promise<{ t: SimTicket; s: ImageioSession }> {
  fx ??= await startImageioFixture();
  const t = await fx.addTicket(size, ops);
  const s = await openImageio({ transferUrl: t.transferUrl, proxyUrl: t.proxyUrl, trust: { caPem: [fx.caPem] }, log: memoryLog(), signal: signal() });
  cleanups.push(() => s.close());
  return { t, s };
}

const overlaps = (reads: Array<[number, number]>, start: number, end: number) => reads.some(([o, n]) => o < end && o + n > start);

describe('uploadRanges against the simulated daemon', () => {
  it('uploads data runs and PATCH-zeroes zero runs over old data, byte for byte', async () => {
    const size = 24 * MiB;
    const { bytes, extents } = makeImage(size, [
      [0, 3 * MiB + 123],
      [8 * MiB, 5 * MiB],
      [20 * MiB, 4 * MiB],
    ]);
    const { t, s } = await open2(size);
    await t.image.write(4 * MiB, Buffer.alloc(2 * MiB, 0xee)); // stale data inside a zero run
    const source = bufferSource(bytes);
    const result = await uploadRanges({ session: s, source, plan: planRanges(extents, { maxRequest: 4 * MiB }), workers: 3, zeroMode: 'patch', pieceSize: MiB, signal: signal() });
    expect((await t.image.read(0, size)).equals(bytes)).toBe(true);
    expect(result).toMatchObject({ bytesDone: size, bytesTotal: size, workers: 3, replays: 0 });
    expect(result.bytesOnWire).toBe(12 * MiB + 123);
    // Zero runs are never read from the source.
    expect(overlaps(source.reads, 3 * MiB + 123, 8 * MiB)).toBe(false);
    expect(overlaps(source.reads, 13 * MiB, 20 * MiB)).toBe(false);
  });

  it('skips zero runs on a new sparse disk and counts them as done at once', async () => {
    const size = 16 * MiB;
    const { bytes, extents } = makeImage(size, [[MiB, 2 * MiB]]);
    const { t, s } = await open2(size);
    const events: CopyProgress[] = [];
    const done: number[] = [];
    const result = await uploadRanges({
      session: s,
      source: bufferSource(bytes),
      plan: planRanges(extents),
      zeroMode: 'skip',
      onProgress: (p) => events.push(p),
      onRangeDone: (r) => done.push(r.start),
      signal: signal(),
    });
    expect((await t.image.read(0, size)).equals(bytes)).toBe(true);
    expect(t.image.data.toArray()).toEqual([{ start: MiB, end: 3 * MiB }]);
    expect(events[0]!.bytesDone).toBe(size - 2 * MiB); // the skipped zeros, before any data moved
    expect(result.bytesOnWire).toBe(2 * MiB);
    expect(done.sort((a, b) => a - b)).toEqual([0, MiB, 3 * MiB]);
  });

  it('sends zero runs as zero bytes in put-zeros mode, without reading them', async () => {
    const size = 6 * MiB;
    const { bytes, extents } = makeImage(size, [[2 * MiB, MiB]]);
    const { t, s } = await open2(size);
    await t.image.write(0, Buffer.alloc(size, 0x55));
    const source = bufferSource(bytes);
    const result = await uploadRanges({ session: s, source, plan: planRanges(extents), zeroMode: 'put-zeros', signal: signal() });
    expect((await t.image.read(0, size)).equals(bytes)).toBe(true);
    expect(result.bytesOnWire).toBe(size);
    expect(source.reads.every(([o, n]) => o >= 2 * MiB && o + n <= 3 * MiB)).toBe(true);
  });

  it('splits a long data run into 128 MiB requests and spreads them over workers', async () => {
    const size = 136 * MiB;
    const { bytes, extents } = makeImage(size, [[0, size]]);
    const { t, s } = await open2(size);
    const plan = planRanges(extents);
    expect(plan.map((r) => r.length)).toEqual([128 * MiB, 8 * MiB]);
    let peakConnections = 0;
    const onProgress = () => (peakConnections = Math.max(peakConnections, fx!.daemon.tickets.get(t.ticketId)!.connections));
    const result = await uploadRanges({ session: s, source: bufferSource(bytes), plan, workers: 4, zeroMode: 'skip', onProgress, signal: signal() });
    expect(result.workers).toBe(2); // no more workers than requests
    expect(peakConnections).toBeGreaterThanOrEqual(2);
    expect((await t.image.read(0, size)).equals(bytes)).toBe(true);
  });
});

describe('uploadRanges against a scripted server', () => {
  /** Answers every request with 200 and records each PUT's query and each PATCH body. */
  async function recorder(features: { zero: boolean; flush: boolean }) {
    const seen: string[] = [];
    const respond = async (req: RawRequest) => {
      const line = req.head.split('\r\n')[0]!;
      const body = await req.body(Number(/content-length: (\d+)/i.exec(req.head)?.[1] ?? 0));
      seen.push(line.startsWith('PATCH') ? `PATCH ${body.toString()}` : line.replace(/\/images\/[^ ?]+/, '/images/T').replace(/ HTTP\/1\.1$/, ''));
      req.socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
    };
    const { session, close } = await scriptedSession(respond, { legacy: false, features: { extents: true, checksum: true, ...features }, maxReaders: 1, maxWriters: 1 });
    cleanups.push(close);
    return { seen, session };
  }

  it('asks each PATCH zero to flush when the server has zero but no flush feature, and sends no PATCH flush', async () => {
    const { bytes, extents } = makeImage(2 * MiB, [[0, MiB]]);
    const { seen, session } = await recorder({ zero: true, flush: false });
    await uploadRanges({ session, source: bufferSource(bytes), plan: planRanges(extents), zeroMode: 'patch', signal: signal() });
    expect(seen).toEqual(['PUT /images/T', `PATCH {"op":"zero","offset":${MiB},"size":${MiB},"flush":true}`]);
  });

  it('zeroes without flushing and ends with one PATCH flush when the server has the flush feature', async () => {
    const { bytes, extents } = makeImage(2 * MiB, [[0, MiB]]);
    const { seen, session } = await recorder({ zero: true, flush: true });
    await uploadRanges({ session, source: bufferSource(bytes), plan: planRanges(extents), zeroMode: 'patch', signal: signal() });
    expect(seen).toEqual(['PUT /images/T?flush=n', `PATCH {"op":"zero","offset":${MiB},"size":${MiB},"flush":false}`, 'PATCH {"op":"flush"}']);
  });
});

describe('downloadRanges against the simulated daemon', () => {
  it('downloads data extents into a sparse file, leaving zero extents unwritten', async () => {
    const size = 20 * MiB;
    const { bytes } = makeImage(size, [
      [0, 64 * 1024],
      [5 * MiB, 6 * MiB + 64 * 1024],
      [18 * MiB, 2 * MiB],
    ]);
    const { t, s } = await open2(size, ['read']);
    await t.image.write(0, bytes);
    const extents = await s.extents(signal());
    expect(extents.filter((e) => !e.zero).map((e) => [e.start, e.length])).toEqual([
      [0, 64 * 1024],
      [5 * MiB, 6 * MiB + 64 * 1024],
      [18 * MiB, 2 * MiB],
    ]);
    const dir = await mkdtemp(join(tmpdir(), 'diskferry-dl-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'disk.raw.part');
    const fh = await open(path, 'w+');
    await fh.truncate(size);
    const writes: Array<[number, number]> = [];
    const journal: number[] = [];
    const result = await downloadRanges({
      session: s,
      plan: planRanges(extents, { maxRequest: 2 * MiB }),
      sink: {
        async write(offset, data) {
          writes.push([offset, data.length]);
          await fh.write(data, 0, data.length, offset);
        },
      },
      workers: 4,
      pieceSize: 512 * 1024,
      onRangeDone: (r) => journal.push(r.start),
      signal: signal(),
    });
    await fh.close();
    expect((await readFile(path)).equals(bytes)).toBe(true);
    expect(overlaps(writes, 64 * 1024, 5 * MiB)).toBe(false);
    expect(overlaps(writes, 11 * MiB + 64 * 1024, 18 * MiB)).toBe(false);
    expect(result).toMatchObject({ bytesDone: size, bytesOnWire: 8 * MiB + 128 * 1024, workers: 4 });
    expect(journal).toHaveLength(planRanges(extents, { maxRequest: 2 * MiB }).filter((r) => !r.zero).length);
    // The holes stay holes (on file systems that report allocation).
    const st = await stat(path);
    if (st.blocks * 512 < size) expect(st.blocks * 512).toBeLessThan(size - 4 * MiB);
  });

  it('downloads from a legacy daemon with one connection and no extents', async () => {
    fx = await startImageioFixture({ daemon: { legacyOptions: 405, checksum: false, maxConnections: false, signedTicket: null } });
    const size = 5 * MiB + 17;
    const { bytes } = makeImage(size, [[MiB, 2 * MiB]]);
    const { t, s } = await open2(size, ['read']);
    await t.image.write(0, bytes);
    const out = Buffer.alloc(size, 0xff);
    const result = await downloadRanges({
      session: s,
      plan: planRanges(await s.extents(signal())),
      sink: { write: async (offset, data) => void data.copy(out, offset) },
      workers: 4,
      signal: signal(),
    });
    expect(result.workers).toBe(1);
    expect(out.equals(bytes)).toBe(true);
  });
});
