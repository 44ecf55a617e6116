/**
 * The fault matrix of the reliability suite: one row per fault, each run through the real engine
 * code against the simulator (engine 4.5), each ending with the bytes compared (the server's disk or
 * the downloaded file) and the engine checked (no transfer open, no disk locked; a failed upload's
 * disk deleted and the message saying so). The flows of the single faults also live, per engine
 * version, in test/integration/ (the `see` column); this table puts them side by side with the
 * checks every fault must pass, and adds the cases those files lack.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../main/engine/errors.js';
import { OvirtClient } from '../../main/engine/ovirt/client.js';
import type { Timers } from '../../main/engine/timers.js';
import type { TransferDeps, TransferOptions } from '../../main/engine/transfer/deps.js';
import { downloadDisk } from '../../main/engine/transfer/download-disk.js';
import { uploadImage, type UploadResult } from '../../main/engine/transfer/upload-image.js';
import { expectDiskEqualsFile, expectFileEqualsDisk, KiB, makeSparseImage, MiB, SMALL_RUNS, SMALL_SIZE, startHarness, TUNING, until, type Harness } from '../integration/helpers.js';
import { addSimDisk, openSimQueue } from '../integration/queue-helpers.js';
import { FREE_SPACE_MARGIN } from '../../main/engine/fs/free-space.js';
import { expectEngineClean, expectNoDiskNamed } from './engine-checks.js';
import { makeSmallDisk } from './full-disk.js';
import { prng } from './prng.js';

/** How one row ended: what the common checks compare. */
type Outcome =
  | { readonly kind: 'uploaded'; readonly result: UploadResult; readonly source: string }
  | { readonly kind: 'upload-failed'; readonly error: DiskFerryError; readonly diskName: string; readonly code: string }
  | { readonly kind: 'downloaded'; readonly diskId: string; readonly path: string }
  /** Compared inside the row (its file does not outlive the row). */
  | { readonly kind: 'compared'; readonly bytes: number };

/** One fault of the matrix. */
interface FaultCase {
  readonly fault: string;
  /** Where the same flow is tested per engine version. */
  readonly see: string;
  run(c: CaseContext): Promise<Outcome[]>;
}

/** What a row gets: the harness, a source image, a fresh disk to download, and transfer helpers. */
interface CaseContext {
  readonly h: Harness;
  readonly source: string;
  upload(name: string, options?: TransferOptions, deps?: TransferDeps): Promise<Outcome>;
  download(name: string, options?: TransferOptions, deps?: TransferDeps): Promise<Outcome>;
}

/** The row's first progress in `transferring` with some bytes on the wire. */
function whenMoving(fn: () => void, atBytes = 1): TransferOptions['onProgress'] {
  let done = false;
  return (p) => {
    if (!done && p.state === 'transferring' && p.bytesOnWire >= atBytes) {
      done = true;
      fn();
    }
  };
}

/**
 * A clock and timers that run `factor` times faster than real time, for the OvirtClient and the
 * transfer: "two minutes" of engine outage pass in two real seconds, and every deadline the client
 * keeps (its 5-minute engine waits included) is measured on the same fast clock.
 */
function fastTime(factor: number): { now: () => number; timers: Timers } {
  const t0 = Date.now();
  const now = () => t0 + (Date.now() - t0) * factor;
  return {
    now,
    timers: {
      setTimeout: (fn, ms) => setTimeout(fn, Math.max(1, ms / factor)),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      setInterval: (fn, ms) => setInterval(fn, Math.max(1, ms / factor)).unref(),
      clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
    },
  };
}

/** Arms `dropAfterBytes` again each time it fired, at seeded points, `times` times in all. */
function repeatedDrops(c: CaseContext, seed: number, times: number): { onProgress: TransferOptions['onProgress']; fired: () => number } {
  const rnd = prng(seed);
  let armed = 0;
  const arm = () => {
    armed++;
    c.h.sim.faults.dropAfterBytes = Math.floor(16 * KiB + rnd() * 2 * MiB);
  };
  return {
    onProgress: (p) => {
      if (p.state === 'transferring' && armed < times && c.h.sim.faults.dropAfterBytes === null) arm();
    },
    fired: () => armed - (c.h.sim.faults.dropAfterBytes === null ? 0 : 1),
  };
}

const CASES: readonly FaultCase[] = [
  {
    fault: 'connection dropped at random points of PUT bodies',
    see: 'test/integration/faults.test.ts',
    async run(c) {
      const drops = repeatedDrops(c, 11, 3);
      const out = await c.upload('m-drop-put', { onProgress: drops.onProgress, tuning: { ...TUNING, workers: 2 } });
      expect(drops.fired()).toBeGreaterThanOrEqual(1);
      return [out];
    },
  },
  {
    fault: 'connection dropped at random points of GET bodies',
    see: 'test/integration/faults.test.ts',
    async run(c) {
      const drops = repeatedDrops(c, 12, 3);
      const out = await c.download('m-drop-get', { onProgress: drops.onProgress, tuning: { ...TUNING, workers: 2 } });
      expect(drops.fired()).toBeGreaterThanOrEqual(1);
      return [out];
    },
  },
  {
    fault: '500 on a PUT (resend since the last flush)',
    see: 'test/integration/faults.test.ts',
    async run(c) {
      c.h.sim.faults.failNthPut = 3;
      const out = await c.upload('m-put-500');
      expect(c.h.sim.faults.failNthPut).toBeNull();
      return [out];
    },
  },
  {
    fault: 'slow server: requests longer than the inactivity timeout',
    see: 'test/integration/slow-engine.test.ts',
    async run(c) {
      const image = join(c.h.dir, 'm-slow.raw');
      await makeSparseImage(image, 8 * MiB, [{ start: 0, length: 2 * MiB }]);
      c.h.sim.faults.latencyMs = 1300;
      const r = await uploadImage(c.h.deps, { path: image, storageDomain: 'data-nfs', diskName: 'm-slow' }, { tuning: { ...TUNING, inactivityTimeout: 1, workers: 1 } });
      c.h.sim.faults.latencyMs = 0;
      return [{ kind: 'uploaded', result: r, source: image }];
    },
  },
  {
    fault: 'ticket expiry (upload and download)',
    see: 'test/integration/faults.test.ts',
    async run(c) {
      c.h.sim.faults.expireTicket = true;
      const up = await c.upload('m-ticket-up');
      expect(c.h.sim.faults.expireTicket).toBe(false);
      c.h.sim.faults.expireTicket = true;
      const down = await c.download('m-ticket-down');
      expect(c.h.sim.faults.expireTicket).toBe(false);
      return [up, down];
    },
  },
  {
    fault: 'paused_system at start: an upload is resumed',
    see: 'test/integration/faults.test.ts',
    async run(c) {
      c.h.sim.faults.pausedSystemAtStart = true;
      const up = await c.upload('m-paused-start-up');
      c.h.sim.faults.pausedSystemAtStart = false;
      expect(c.h.logLines.some((l) => l.includes('paused by the engine while starting; resuming'))).toBe(true);
      return [up];
    },
  },
  {
    fault: 'no ticket at start for a download (the engine cancels it): the queue retries it',
    see: '(new here)',
    async run(c) {
      // What paused_system at start is for an upload: the engine could not add the ticket, and ends a
      // download transfer (cancelled_system). One download fails cleanly; the queue tries again.
      c.h.sim.faults.pausedSystemAtStart = true;
      const diskId = await addSimDisk(c.h.sim, 'm-cancelled-start', SMALL_SIZE, SMALL_RUNS);
      const out = join(c.h.dir, 'm-cancelled-start');
      await mkdir(out);
      const err = await downloadDisk(c.h.deps, { disk: diskId, output: { dir: out } }, { tuning: TUNING }).then(
        () => null,
        (e: unknown) => e as DiskFerryError,
      );
      expect(err?.code).toBe('transfer-failed');
      expect(err?.message).toMatch(/\((cancelled_system|finalizing_failure|finished_failure)\) while starting it.*is not locked/);
      await expectEngineClean(c.h.sim);
      const { q } = await openSimQueue(c.h, { retry: { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 200 } });
      try {
        const [job] = await q.add([{ kind: 'download', engine: 'sim', start: 'now', download: { disk: diskId, diskName: 'm-cancelled-start', outputDir: out, size: SMALL_SIZE } }]);
        q.start();
        await until(() => q.get(job!.id).attempts >= 2 || q.get(job!.id).state === 'failed', 30_000, 'a second attempt');
        c.h.sim.faults.pausedSystemAtStart = false;
        await q.whenIdle();
        expect(q.get(job!.id).state, JSON.stringify(q.get(job!.id).error)).toBe('completed');
        expect(q.get(job!.id).attempts).toBeGreaterThanOrEqual(2);
        return [{ kind: 'downloaded', diskId, path: q.get(job!.id).result!.path! }];
      } finally {
        await q.close();
      }
    },
  },
  {
    fault: 'paused_system during the transfer',
    see: '(new here)',
    async run(c) {
      c.h.sim.faults.bandwidthBytesPerSecond = 4 * MiB;
      let armed = false;
      const out = await c.upload('m-paused-now', {
        onProgress: whenMoving(() => {
          armed = true;
          c.h.sim.faults.pausedSystemNow = true;
        }, 512 * KiB),
      });
      c.h.sim.faults.bandwidthBytesPerSecond = null;
      expect(armed).toBe(true);
      expect(c.h.sim.faults.pausedSystemNow).toBe(false); // the engine paused the transfer
      return [out];
    },
  },
  {
    fault: 'token expiry mid-transfer (upload and download)',
    see: 'test/integration/faults.test.ts',
    async run(c) {
      const up = await c.upload('m-token-up', { onProgress: whenMoving(() => (c.h.sim.faults.expireTokens = true), 0) });
      const down = await c.download('m-token-down', { onProgress: whenMoving(() => (c.h.sim.faults.expireTokens = true), 0) });
      expect(c.h.logLines.filter((l) => l.includes('engine session expired; logging in again')).length).toBeGreaterThanOrEqual(2);
      return [up, down];
    },
  },
  {
    fault: 'token expiry at finalize',
    see: '(new here)',
    async run(c) {
      const before = c.h.logLines.filter((l) => l.includes('engine session expired; logging in again')).length;
      let armed = false;
      const onProgress: TransferOptions['onProgress'] = (p) => {
        if (p.state === 'finalizing' && !armed) {
          armed = true;
          c.h.sim.faults.expireTokens = true;
        }
      };
      const up = await c.upload('m-token-final-up', { onProgress });
      armed = false;
      const down = await c.download('m-token-final-down', { onProgress });
      expect(c.h.logLines.filter((l) => l.includes('engine session expired; logging in again')).length).toBeGreaterThanOrEqual(before + 2);
      return [up, down];
    },
  },
  {
    fault: 'engine unreachable for two minutes mid-transfer (fast clock)',
    see: 'test/integration/slow-engine.test.ts (at finalize, seconds)',
    async run(c) {
      // The client's clock runs 60x: two minutes pass in two seconds, and so do its own deadlines.
      const time = fastTime(60);
      const client = new OvirtClient({ engineUrl: c.h.sim.engineUrl, username: c.h.sim.username, password: () => c.h.sim.password, trust: c.h.deps.trust, log: c.h.deps.log, pollIntervalMs: 1000, ...time });
      await client.login();
      try {
        const deps: TransferDeps = { ...c.h.deps, client, ...time };
        const outage = (name: string) => {
          let from = -1;
          let to = -1;
          const onProgress = whenMoving(() => {
            c.h.sim.faults.engineUnavailable = true;
            from = time.now();
            const end = setInterval(() => {
              if (time.now() - from < 120_000) return;
              clearInterval(end);
              to = time.now();
              c.h.sim.faults.engineUnavailable = false;
            }, 10);
          }, 256 * KiB);
          return { name, onProgress, lasted: () => (to < 0 ? -1 : to - from) };
        };
        // Slow data, so the outage starts while data still has seconds to go.
        c.h.sim.faults.bandwidthBytesPerSecond = 4 * MiB;
        const u = outage('m-away-up');
        // The product's own engine waits (5 minutes), not the test's shorter ones.
        const up = await c.upload(u.name, { onProgress: u.onProgress, tuning: { workers: 2 } }, deps);
        const d = outage('m-away-down');
        const down = await c.download(d.name, { onProgress: d.onProgress, tuning: { workers: 2 } }, deps);
        c.h.sim.faults.bandwidthBytesPerSecond = null;
        expect(u.lasted()).toBeGreaterThanOrEqual(120_000);
        expect(d.lasted()).toBeGreaterThanOrEqual(120_000);
        return [up, down];
      } finally {
        c.h.sim.faults.engineUnavailable = false;
        await client.logout().catch(() => {});
        await client.close();
      }
    },
  },
  {
    fault: 'transfer_url unreachable: proxy fallback (upload and download)',
    see: 'test/integration/faults.test.ts',
    async run(c) {
      c.h.sim.faults.transferUrlUnreachable = true;
      const up = await c.upload('m-proxy-up');
      const down = await c.download('m-proxy-down');
      c.h.sim.faults.transferUrlUnreachable = false;
      expect(up.kind === 'uploaded' && up.result.viaProxy).toBe(true);
      return [up, down];
    },
  },
  {
    fault: 'finalize that fails verification',
    see: 'test/integration/failures.test.ts',
    async run(c) {
      c.h.sim.faults.failFinalizeVerification = true;
      const out = await c.upload('m-unverified');
      expect(out.kind === 'upload-failed' && out.code).toBe('verification-failed');
      return [out];
    },
  },
  {
    fault: 'disk full while downloading (then space freed, resumed)',
    see: 'test/reliability/disk-full.test.ts',
    async run(c) {
      const disk = await makeSmallDisk(SMALL_SIZE + FREE_SPACE_MARGIN + 16 * MiB);
      try {
        const deps = disk.files ? { ...c.h.deps, files: disk.files } : c.h.deps;
        const diskId = await addSimDisk(c.h.sim, 'm-full', SMALL_SIZE, SMALL_RUNS);
        c.h.sim.faults.bandwidthBytesPerSecond = 2 * MiB;
        let filling: Promise<void> | null = null;
        const err = await downloadDisk(deps, { disk: diskId, output: { dir: disk.dir } }, {
          tuning: { ...TUNING, workers: 1 },
          onProgress: whenMoving(() => (filling = disk.fill()), MiB),
        }).then(
          () => null,
          (e: unknown) => e as DiskFerryError,
        );
        expect(filling).not.toBeNull();
        await filling;
        expect(err?.code).toBe('disk-full');
        expect(err?.message).toMatch(/Free some space, then resume.*is not locked/);
        await expectEngineClean(c.h.sim);
        await disk.free();
        c.h.sim.faults.bandwidthBytesPerSecond = null;
        const r = await downloadDisk(deps, { disk: diskId, output: { dir: disk.dir } }, { tuning: TUNING });
        expect(r.resumedBytes).toBeGreaterThan(0);
        await expectFileEqualsDisk(c.h.sim, diskId, r.path);
        return [{ kind: 'compared', bytes: r.virtualSize }];
      } finally {
        await disk.close();
      }
    },
  },
];

describe('fault matrix (engine 4.5): every fault ends with the bytes compared and the engine clean', () => {
  let h: Harness;
  let source: string;
  const rows: string[] = [];
  beforeAll(async () => {
    h = await startHarness('4.5');
    source = join(h.dir, 'source.raw');
    await makeSparseImage(source, SMALL_SIZE, SMALL_RUNS);
  });
  afterEach(() => h.resetFaults());
  afterAll(async () => {
    if (rows.length > 0) console.log(`fault matrix:\n${rows.join('\n')}`);
    await h?.close();
  });

  const context = (): CaseContext => ({
    h,
    source,
    async upload(name, options = {}, deps = h.deps) {
      try {
        const result = await uploadImage(deps, { path: source, storageDomain: 'data-nfs', diskName: name }, { tuning: TUNING, ...options });
        return { kind: 'uploaded', result, source };
      } catch (err) {
        if (!(err instanceof DiskFerryError)) throw err;
        return { kind: 'upload-failed', error: err, diskName: name, code: err.code };
      }
    },
    async download(name, options = {}, deps = h.deps) {
      const diskId = await addSimDisk(h.sim, name, SMALL_SIZE, SMALL_RUNS);
      const r = await downloadDisk(deps, { disk: diskId, output: { file: join(h.dir, `${name}.raw`) } }, { tuning: TUNING, ...options });
      return { kind: 'downloaded', diskId, path: r.path };
    },
  });

  it.each(CASES)('$fault', { timeout: 60_000 }, async (row) => {
    const outcomes = await row.run(context());
    let compared = 0;
    for (const o of outcomes) {
      if (o.kind === 'uploaded') {
        expect(h.sim.engine.state.disks.get(o.result.diskId)?.status).toBe('ok');
        await expectDiskEqualsFile(h.sim, o.result.diskId, o.source);
        compared += o.result.virtualSize;
      } else if (o.kind === 'downloaded') {
        await expectFileEqualsDisk(h.sim, o.diskId, o.path);
        compared += h.sim.images.get(o.diskId)!.size;
      } else if (o.kind === 'compared') {
        compared += o.bytes;
      } else {
        // A failed upload: its disk is gone from the engine, and the message says so.
        expect(o.error.message).toContain(`The engine deleted the disk '${o.diskName}'`);
        await expectNoDiskNamed(h.sim, o.diskName);
      }
    }
    await expectEngineClean(h.sim);
    rows.push(`  ${row.fault}: ${outcomes.map((o) => o.kind).join(', ') || 'see its file'}; ${compared} bytes compared; see ${row.see}`);
  });
});
