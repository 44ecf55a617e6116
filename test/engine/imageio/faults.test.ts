import { afterEach, describe, expect, it } from 'vitest';
import { openImageio, type ImageioSession } from '../../../main/engine/imageio/session.js';
import { planRanges } from '../../../main/engine/imageio/plan.js';
import { uploadRanges } from '../../../main/engine/imageio/upload.js';
import { downloadRanges } from '../../../main/engine/imageio/download.js';
import { Blkhash } from '../../../main/engine/image/blkhash.js';
import { allocPieceBuffers } from '../../../main/engine/imageio/put-body.js';
import { startImageioFixture, type ImageioFixture, type SimTicket } from './sim-fixture.js';
import { bufferSource, instantSleep, makeImage, memoryLog, MiB } from './helpers.js';

let fx: ImageioFixture | null = null;
let session: ImageioSession | null = null;
afterEach(async () => {
  await session?.close();
  session = null;
  await fx?.close();
  fx = null;
});
const signal = () => new AbortController().signal;

async function setup(size: number, ops: Array<'read' | 'write'> = ['write']) {
  fx = await startImageioFixture();
  const t: SimTicket = await fx.addTicket(size, ops);
  const sleep = instantSleep();
  const log = memoryLog();
  session = await openImageio({ transferUrl: t.transferUrl, proxyUrl: null, trust: { caPem: [fx.caPem] }, log, sleep, signal: signal() });
  return { fx, t, s: session, sleep, log };
}

describe('data-plane faults', () => {
  it('resends a PUT after the server dropped the connection mid-body', async () => {
    const size = 16 * MiB;
    const { bytes, extents } = makeImage(size, [[0, size]]);
    const { fx, t, s, log } = await setup(size);
    fx.faults.dropAfterBytes = 3 * MiB;
    const result = await uploadRanges({ session: s, source: bufferSource(bytes), plan: planRanges(extents, { maxRequest: 8 * MiB }), workers: 2, zeroMode: 'skip', signal: signal() });
    expect(fx.faults.dropAfterBytes).toBeNull(); // the fault fired
    expect(result.retries).toBeGreaterThanOrEqual(1);
    expect(result.bytesOnWire).toBeGreaterThan(size);
    expect((await t.image.read(0, size)).equals(bytes)).toBe(true);
    expect(log.lines.join('\n')).not.toContain(t.ticketId);
  });

  it('resumes a GET after the server dropped the connection mid-body', async () => {
    const size = 12 * MiB;
    const { bytes, extents } = makeImage(size, [[0, size]]);
    const { fx, t, s } = await setup(size, ['read']);
    await t.image.write(0, bytes);
    fx.faults.dropAfterBytes = 5 * MiB + 100;
    const out = Buffer.alloc(size);
    const result = await downloadRanges({ session: s, plan: planRanges(extents), sink: { write: async (o, d) => void d.copy(out, o) }, workers: 1, signal: signal() });
    expect(fx.faults.dropAfterBytes).toBeNull();
    expect(result.retries).toBe(1);
    expect(out.equals(bytes)).toBe(true);
  });

  it('after a 500 on a PUT, resends everything since the last flush and flushes once', async () => {
    const size = 16 * MiB;
    const { bytes, extents } = makeImage(size, [[0, size]]);
    const { fx, t, s, sleep } = await setup(size);
    fx.faults.failNthPut = 3;
    const source = bufferSource(bytes);
    const result = await uploadRanges({ session: s, source, plan: planRanges(extents, { maxRequest: 4 * MiB }), workers: 1, zeroMode: 'skip', signal: signal() });
    expect(result.replays).toBe(1);
    // Two ranges were done before the failing third: all three are read and sent again. Of the failed
    // attempt, what went out before the server's early 500 stopped it counts (up to the whole range).
    expect(result.bytesOnWire).toBeGreaterThanOrEqual(size + 2 * 4 * MiB);
    expect(result.bytesOnWire).toBeLessThanOrEqual(size + 2 * 4 * MiB + 4 * MiB);
    expect(sleep.calls.length).toBeGreaterThanOrEqual(1);
    expect(result.bytesDone).toBe(size);
    expect((await t.image.read(0, size)).equals(bytes)).toBe(true);
  });

  it('flushes while the upload runs, and after a 500 on such a flush resends only what it covered', async () => {
    const size = 16 * MiB;
    const { bytes, extents } = makeImage(size, [[0, size]]);
    const { fx, t, s } = await setup(size);
    fx.faults.failNthFlush = 1;
    const plan = planRanges(extents, { maxRequest: 4 * MiB });
    const result = await uploadRanges({ session: s, source: bufferSource(bytes), plan, workers: 1, zeroMode: 'skip', flushEvery: 8 * MiB, signal: signal() });
    expect(fx.faults.failNthFlush).toBeNull(); // the fault fired
    expect(result.replays).toBe(1);
    // The first flush came after 8 MiB, not at the end: only those 8 MiB were sent again.
    expect(result.bytesOnWire).toBe(size + 8 * MiB);
    expect((await t.image.read(0, size)).equals(bytes)).toBe(true);
  });

  it('keeps every byte with flushes along the way, several workers and a failing flush among them', async () => {
    const size = 48 * MiB;
    const { bytes, extents } = makeImage(size, [[0, 20 * MiB], [24 * MiB, 20 * MiB]]);
    const { fx, t, s } = await setup(size);
    fx.faults.failNthFlush = 2;
    const plan = planRanges(extents, { maxRequest: 2 * MiB });
    const result = await uploadRanges({ session: s, source: bufferSource(bytes), plan, workers: 4, zeroMode: 'skip', flushEvery: 4 * MiB, signal: signal() });
    expect(fx.faults.failNthFlush).toBeNull(); // a second flush happened before the end
    expect(result.replays).toBe(1);
    expect(result.bytesDone).toBe(size);
    expect((await t.image.read(0, size)).equals(bytes)).toBe(true);
  });

  it('gives up with server-error when 500s keep coming', async () => {
    const size = 4 * MiB;
    const { bytes, extents } = makeImage(size, [[0, size]]);
    const { fx, s } = await setup(size);
    let puts = 0;
    const source = {
      read: async (offset: number, buffer: Buffer) => {
        if (offset === 0) {
          fx.faults.failNthPut = 1; // every attempt fails
          puts++; // an attempt reads its range from the start (then the next piece, before the 500 stops it)
        }
        return bytes.copy(buffer, 0, offset, offset + buffer.length);
      },
    };
    const err = await uploadRanges({ session: s, source, plan: planRanges(extents), zeroMode: 'skip', maxReplays: 2, signal: signal() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'server-error', status: 500 });
    expect(puts).toBe(3); // the first try and two replays
  });

  it('fails with ticket-gone, without retrying, once the ticket was removed', async () => {
    const size = 8 * MiB;
    const { bytes, extents } = makeImage(size, [[0, size]]);
    const { fx, t, s, sleep } = await setup(size);
    fx.daemon.tickets.remove(t.ticketId);
    const err = await uploadRanges({ session: s, source: bufferSource(bytes), plan: planRanges(extents), workers: 4, zeroMode: 'patch', signal: signal() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ticket-gone', retryable: false, status: 403 });
    expect((err as Error).message).not.toContain(t.ticketId);
    expect(sleep.calls).toEqual([]);
  });

  it('maps an expired ticket during a download to ticket-gone', async () => {
    const size = 4 * MiB;
    const { fx, t, s } = await setup(size, ['read']);
    await t.image.write(0, Buffer.alloc(size, 1));
    fx.faults.expireTicket = true;
    const plan = planRanges([{ start: 0, length: size, zero: false }]);
    const err = await downloadRanges({ session: s, plan, sink: { write: async () => {} }, signal: signal() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ticket-gone' });
  });

  it('names the size the server allows when it answers a range past the ticket with 416', async () => {
    const size = 2 * MiB;
    const { t, s } = await setup(size, ['read']);
    const conn = s.connection();
    const err = await conn.get(size - 4096, 8192, allocPieceBuffers(64 * 1024), async () => {}, signal()).catch((e: unknown) => e);
    await conn.close();
    expect(err).toMatchObject({ code: 'protocol', retryable: false, status: 416 });
    expect((err as Error).message).toContain(`has bytes below ${size} only: the image on it is smaller`);
    expect((err as Error).message).not.toContain(t.ticketId);
  });

  it('gets the same checksum from the server as a local blkhash of the guest data', async () => {
    const size = 9 * MiB + 4096;
    const { bytes } = makeImage(size, [
      [0, 4096],
      [5 * MiB, 2 * MiB],
    ]);
    const { t, s } = await setup(size, ['read']);
    await t.image.write(0, bytes);
    const local = await Blkhash.create();
    local.update(bytes);
    const remote = await s.checksum({}, signal());
    expect(remote).toEqual({ algorithm: 'blake2b', blockSize: 4 * MiB, checksum: local.digest() });
    const sha = await Blkhash.create({ algorithm: 'sha256', blockSize: MiB });
    sha.update(bytes);
    expect((await s.checksum({ algorithm: 'sha256', blockSize: MiB }, signal())).checksum).toBe(sha.digest());
  });

  it('stops all workers promptly when the signal aborts, with no read after it returns', async () => {
    const size = 64 * MiB;
    const { bytes, extents } = makeImage(size, [[0, size]]);
    const { fx, s } = await setup(size);
    fx.faults.bandwidthBytesPerSecond = 8 * MiB; // slow enough to be mid-transfer
    const ac = new AbortController();
    const source = bufferSource(bytes);
    setTimeout(() => ac.abort(), 300);
    const started = Date.now();
    const err = await uploadRanges({ session: s, source, plan: planRanges(extents, { maxRequest: 16 * MiB }), workers: 4, zeroMode: 'skip', signal: ac.signal }).catch(
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    expect(err).toMatchObject({ code: 'cancelled' });
    expect(elapsed).toBeLessThan(1500);
    const reads = source.reads.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(source.reads.length).toBe(reads);
  });
});
