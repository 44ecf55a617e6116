/**
 * Ranged GETs on either dispatcher (SocketDispatcher, the default, or undici's Client after the
 * switch) against the simulated imageio over TLS: the same download, byte for byte, through the
 * daemon and the proxy, with a slow sink (backpressure), a dropped connection and a cancel. Which
 * dispatcher carried the GETs is seen from outside: undici reports every request it sends on its
 * `undici:request:create` diagnostics channel.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { planRanges } from '../../../main/engine/imageio/plan.js';
import { downloadRanges } from '../../../main/engine/imageio/download.js';
import { openImageio, type OpenImageioOptions } from '../../../main/engine/imageio/session.js';
import type { RangedGetDispatcher } from '../../../main/engine/imageio/connection.js';
import { startImageioFixture, type ImageioFixture } from './sim-fixture.js';
import { makeImage, memoryLog, MiB } from './helpers.js';

let fx: ImageioFixture;
beforeAll(async () => {
  fx = await startImageioFixture();
});
afterAll(async () => fx.close());

/** Ranged GETs undici sent since the test started. */
const undiciRangedGets: string[] = [];
const onRequest = (message: unknown) => {
  const { request } = message as { request: { method: string; headers: string | string[] } };
  const headers = Array.isArray(request.headers) ? request.headers.join('\n') : request.headers;
  if (request.method === 'GET' && /range/i.test(headers)) undiciRangedGets.push(headers);
};
beforeAll(() => subscribe('undici:request:create', onRequest));
afterAll(() => void unsubscribe('undici:request:create', onRequest));
afterEach(() => {
  undiciRangedGets.length = 0;
  fx.faults.dropAfterBytes = null;
});

const SIZE = 12 * MiB;
const image = makeImage(SIZE, [
  [0, 3 * MiB + 17],
  [5 * MiB, 4 * MiB],
  [10 * MiB, 2 * MiB],
]);

async function session(via: 'daemon' | 'proxy', options: Partial<OpenImageioOptions> = {}) {
  const t = await fx.addTicket(SIZE, ['read']);
  await t.image.write(0, image.bytes);
  const log = memoryLog();
  const s = await openImageio({
    transferUrl: via === 'daemon' ? t.transferUrl : null,
    proxyUrl: t.proxyUrl,
    trust: { caPem: [fx.caPem] },
    log,
    signal: new AbortController().signal,
    ...options,
  });
  return { t, s, log };
}

/** Downloads the whole plan into memory; each write waits a little so both piece buffers fill up (backpressure). */
async function download(s: Awaited<ReturnType<typeof session>>['s'], signal = new AbortController().signal) {
  const out = Buffer.alloc(SIZE);
  let writes = 0;
  const plan = planRanges(await s.extents(signal), { maxRequest: 2 * MiB });
  const result = await downloadRanges({
    session: s,
    plan,
    sink: {
      write: async (offset, data) => {
        if (writes++ % 3 === 0) await new Promise((r) => setTimeout(r, 2));
        data.copy(out, offset);
      },
    },
    workers: 3,
    pieceSize: 256 * 1024,
    signal,
  });
  const data = plan.filter((r) => !r.zero);
  return { out, result, requests: data.length, dataBytes: data.reduce((n, r) => n + r.length, 0) };
}

describe.each(['socket', 'undici'] as const)('ranged GETs on the %s dispatcher', (rangedGets: RangedGetDispatcher) => {
  it.each(['daemon', 'proxy'] as const)('download every data byte through the %s', async (via) => {
    const { s, t, log } = await session(via, { rangedGets });
    try {
      const { out, result, requests, dataBytes } = await download(s);
      expect(out.equals(image.bytes)).toBe(true);
      expect(result.bytesOnWire).toBe(dataBytes);
      expect(dataBytes).toBeGreaterThanOrEqual(9 * MiB + 17); // the simulator's extents are 64 KiB-aligned
      expect(log.lines.join('\n')).not.toContain(t.ticketId);
      // Three data extents in requests of at most 2 MiB: at least 2 + 2 + 1.
      expect(requests).toBeGreaterThanOrEqual(5);
      expect(undiciRangedGets).toHaveLength(rangedGets === 'undici' ? requests : 0);
    } finally {
      await s.close();
    }
  });

  it('asks again for the rest after a dropped connection', async () => {
    const { s } = await session('daemon', { rangedGets });
    try {
      fx.faults.dropAfterBytes = MiB + 100;
      const { out, result } = await download(s);
      expect(fx.faults.dropAfterBytes).toBeNull();
      expect(result.retries).toBe(1);
      expect(out.equals(image.bytes)).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('stops at once when cancelled mid-download', async () => {
    const { s } = await session('daemon', { rangedGets });
    const ac = new AbortController();
    try {
      fx.faults.bandwidthBytesPerSecond = 4 * MiB;
      setTimeout(() => ac.abort(), 150);
      const started = Date.now();
      await expect(download(s, ac.signal)).rejects.toMatchObject({ code: 'cancelled' });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      fx.faults.bandwidthBytesPerSecond = null;
      await s.close();
    }
  });
});

describe('the switch', () => {
  it('is an option of openImageio: the engine reads no environment (DISKFERRY_RANGED_GETS is for hosts to read)', async () => {
    const before = process.env['DISKFERRY_RANGED_GETS'];
    process.env['DISKFERRY_RANGED_GETS'] = 'undici';
    try {
      const { s } = await session('daemon');
      try {
        expect((await download(s)).out.equals(image.bytes)).toBe(true);
        expect(undiciRangedGets).toEqual([]);
      } finally {
        await s.close();
      }
    } finally {
      if (before === undefined) delete process.env['DISKFERRY_RANGED_GETS'];
      else process.env['DISKFERRY_RANGED_GETS'] = before;
    }
  });
});
