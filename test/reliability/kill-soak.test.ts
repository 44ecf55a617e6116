/**
 * The kill-restart soak: a queue of mixed uploads and downloads run by `diskferry queue run` (a real
 * child process) against one simulator, killed with SIGKILL at moments a seeded PRNG picks, restarted,
 * killed again…, then run to the end. Data-plane faults (dropped connections, 500 on PUT, an expired
 * ticket) are armed at seeded moments too. In the end every job must be right: downloads byte-equal
 * to their disks, uploads byte-equal on the server (or cleanly failed: disk deleted, job reported),
 * no transfer open and no disk locked on the engine, no .part, journal or temp file left for a
 * completed job.
 *
 * Uploads flush every MiB here (DISKFERRY_UPLOAD_FLUSH_EVERY), so a kill finds some of their data
 * journaled: the bytes the simulated imageio received for each upload, over every disk it had, are
 * counted against its data, which gives the bytes re-sent after the kills.
 *
 * Two runs belong to the normal suite; DISKFERRY_SOAK=1 runs twenty more (DISKFERRY_SOAK_RUNS and
 * DISKFERRY_SOAK_SEED change the count and the first seed). Each run prints its record (seed, kills,
 * faults, bytes verified, bytes re-sent, failures); DISKFERRY_SOAK_REPORT=FILE also appends them there
 * as JSON lines.
 */
import { appendFile, mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalSource } from '../../main/engine/image/local-source.js';
import { probeImage } from '../../main/engine/image/probe.js';
import { planRanges, planTotals } from '../../main/engine/imageio/plan.js';
import { parseQueueDocument, type QueueDocument } from '../../main/engine/queue/store.js';
import type { FaultSettings } from '../../main/simulator/faults.js';
import { expectDiskEqualsFile, expectFileEqualsDisk, KiB, makeSparseImage, MiB, startHarness, type DataRun, type Harness } from '../integration/helpers.js';
import { CliHarness, type RunningCli } from '../integration/queue-cli-helpers.js';
import { addSimDisk, downloadPath } from '../integration/queue-helpers.js';
import { expectEngineClean, expectNoDiskNamed } from './engine-checks.js';
import { prng } from './prng.js';

/** What one soak run did and found. */
export interface SoakRecord {
  readonly seed: number;
  readonly jobs: number;
  /** What the queue held: two downloads and two uploads, or four uploads. */
  readonly mix: Mix;
  /** SIGKILLs delivered to a running `queue run`. */
  readonly kills: number;
  /** Kills that landed while an upload of that run had put bytes on the wire. */
  readonly killsMidUpload: number;
  /** Kills that landed while that run had moved data (the others hit start-up, login or recovery). */
  readonly killsMidData: number;
  /** Restarts of `queue run` (kills plus the final run). */
  readonly starts: number;
  /** Faults armed, with `fired` when the simulator used them up. */
  readonly faults: string[];
  /** Bytes compared against the source (files and server volumes). */
  readonly bytesVerified: number;
  /** Jobs that did not complete (each one checked to have failed cleanly). */
  readonly failures: number;
  /** Data bytes of the completed uploads (what one clean run sends, as the upload plans it). */
  readonly uploadDataBytes: number;
  /** Bytes the server received for those uploads over all their runs and disks. */
  readonly uploadBytesReceived: number;
  /** Of the completed uploads' data, bytes their final runs did not send (journaled by a killed run). */
  readonly uploadBytesResumed: number;
  readonly elapsedMs: number;
}

const between = (rnd: () => number, lo: number, hi: number) => Math.floor(lo + rnd() * (hi - lo + 1));

/** Bytes between an upload's flushes in the soak: small, so kills find journaled data. */
const SOAK_ENV = { DISKFERRY_UPLOAD_FLUSH_EVERY: String(MiB) };

/** Data runs of a test image or disk of `size` bytes, chosen by the PRNG. */
function seededRuns(rnd: () => number, size: number): DataRun[] {
  const runs: DataRun[] = [];
  for (let start = between(rnd, 0, 3) * MiB; start < size - MiB; ) {
    const length = Math.min(between(rnd, 1, 6) * 512 * KiB, size - start);
    runs.push({ start, length });
    start += length + between(rnd, 1, 4) * MiB;
  }
  return runs;
}

/** Arms one data-plane fault, chosen by the PRNG; returns its description. */
function armFault(h: Harness, rnd: () => number): { name: string; fired: () => boolean } {
  const kind = between(rnd, 0, 2);
  const faults: FaultSettings = h.sim.faults;
  if (kind === 0) {
    faults.dropAfterBytes = between(rnd, 64, 2048) * KiB;
    return { name: `dropAfterBytes=${faults.dropAfterBytes}`, fired: () => faults.dropAfterBytes === null };
  }
  if (kind === 1) {
    faults.failNthPut = between(rnd, 1, 4);
    return { name: `failNthPut=${faults.failNthPut}`, fired: () => faults.failNthPut === null };
  }
  faults.expireTicket = true;
  return { name: 'expireTicket', fired: () => !faults.expireTicket };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The most bytes on the wire a job (of `kind`) has reported in this run's progress events (not a record loaded from before). */
function onWire(run: RunningCli, kind?: 'upload' | 'download'): number {
  return run.events.reduce((max, e) => (e['event'] === 'progress' && (!kind || e['kind'] === kind) ? Math.max(max, Number(e['on_wire'] ?? 0)) : max), 0);
}

/** The data bytes an upload of `file` sends in one clean run, planned as the upload plans them. */
async function dataBytesOf(file: string): Promise<number> {
  const source = await openLocalSource(await probeImage(file));
  try {
    return planTotals(planRanges(await source.extents({}))).dataBytes;
  } finally {
    await source.close();
  }
}

/** What a soak run queues: two downloads and two uploads, or four uploads. */
type Mix = 'mixed' | 'uploads';

/**
 * The kill moment, chosen by the PRNG: a third of the kills at a time after the start (start-up,
 * login, recovery of the previous run's leftovers, transfer creation), the rest once a job has put
 * a seeded number of bytes on the wire, plus a seeded delay (in the middle of the data).
 */
async function killMoment(run: RunningCli, rnd: () => number): Promise<void> {
  if (rnd() < 1 / 3) return sleep(between(rnd, 200, 2500));
  const bytes = between(rnd, 256, 6 * 1024) * KiB;
  const extra = between(rnd, 0, 300);
  while (onWire(run) < bytes && run.child.exitCode === null && run.child.signalCode === null) await sleep(10);
  return sleep(extra);
}

/** One seeded run: build the queue, kill and restart `queue run`, then check every job. */
async function soakRun(h: Harness, seed: number, maxKills: number, mix: Mix = 'mixed'): Promise<SoakRecord> {
  const started = Date.now();
  const rnd = prng(seed);
  const dir = join(h.dir, `soak-${seed}`);
  const out = join(dir, 'out');
  await mkdir(out, { recursive: true });
  const c = new CliHarness({ ...h, dir });
  await c.setUp();
  const faults: string[] = [];
  let kills = 0;
  let killsMidData = 0;
  let killsMidUpload = 0;
  let starts = 0;
  try {
    // The queue: two downloads and two uploads (or four uploads) of 8–24 MiB with 2–8 MiB of data each.
    const downloads: Array<{ name: string; diskId: string }> = [];
    const uploads: Array<{ name: string; file: string }> = [];
    for (let i = 0; i < (mix === 'mixed' ? 2 : 4); i++) {
      if (mix === 'mixed') {
        const name = `soak-${seed}-dl${i}`;
        const size = between(rnd, 8, 24) * MiB;
        downloads.push({ name, diskId: await addSimDisk(h.sim, name, size, seededRuns(rnd, size)) });
      }
      const up = `soak-${seed}-up${i}`;
      const file = join(dir, `${up}.raw`);
      const upSize = between(rnd, 8, 24) * MiB;
      await makeSparseImage(file, upSize, seededRuns(rnd, upSize));
      uploads.push({ name: up, file });
    }
    for (const d of downloads) {
      const r = await c.cli('queue', 'add', 'download', d.diskId, '--output', out, '--now', '--password-file', c.pw);
      expect(r.code, r.err).toBe(0);
    }
    for (const u of uploads) {
      const r = await c.cli('queue', 'add', 'upload', u.file, '--storage-domain', 'data-nfs', '--name', u.name, '--now', '--password-file', c.pw);
      expect(r.code, r.err).toBe(0);
    }

    // Bytes the server received per upload disk (the most seen: a disk deleted later keeps its count).
    const received = new Map<string, { name: string; bytes: number }>();
    const isUpload = (name: string) => uploads.some((u) => u.name === name);
    const track = async () => {
      const images = () => [...h.sim.engine.state.disks.values()].filter((d) => isUpload(d.name)).map((d) => ({ d, img: h.sim.images.get(d.id) }));
      // A killed run's last bytes may still be arriving: wait until the server stops writing.
      for (let last = -1, now = 0; ; last = now) {
        now = images().reduce((sum, x) => sum + (x.img?.bytesWritten ?? 0), 0);
        if (now === last) break;
        await sleep(200);
      }
      for (const { d, img } of images()) if (img) received.set(d.id, { name: d.name, bytes: Math.max(received.get(d.id)?.bytes ?? 0, img.bytesWritten) });
    };

    // Kill `queue run` at seeded moments; arm a fault now and then.
    const runArgs = ['--limit', '12MiB/s', '--workers', '2', '--concurrency', '2', '--retries', '8', '--retry-delay', '0.5'];
    const startRun = () => c.start(['queue', 'run', '--json', '--password-file', c.pw, ...runArgs], SOAK_ENV);
    const plannedKills = between(rnd, 1, maxKills);
    let last: RunningCli | null = null;
    let lastCode: number | null = null;
    for (let k = 0; k < plannedKills; k++) {
      const armed = rnd() < 0.5 ? armFault(h, rnd) : null;
      const run = startRun();
      starts++;
      let ended = await Promise.race([run.exited.then(() => true), killMoment(run, rnd).then(() => false)]);
      // The kill moment may come just as the run ends by itself.
      ended ||= run.child.exitCode !== null || run.child.signalCode !== null;
      if (ended) lastCode = await run.exited;
      else {
        const moving = onWire(run) > 0;
        const uploading = onWire(run, 'upload') > 0;
        c.signal(run.child, 'SIGKILL');
        await run.exited;
        kills++;
        if (moving) killsMidData++;
        if (uploading) killsMidUpload++;
      }
      await track();
      if (armed) faults.push(`${armed.name}${armed.fired() ? ' (fired)' : ''}`);
      h.resetFaults();
      last = run;
      if (ended) break; // the queue finished before the kill moment: nothing left to interrupt
    }
    // The final run, to the end (unless a run already ended by itself).
    if (kills === starts) {
      last = startRun();
      starts++;
      lastCode = await last.exited;
    }
    await track();
    const code = lastCode;
    // A run ends by itself only when the queue is done: 0, or 1 when a job failed (never a crash).
    expect([0, 1], `exit code ${code} of queue run: ${last?.stderr.join('\n')}`).toContain(code);

    // Every job ends right.
    const doc: QueueDocument = parseQueueDocument(JSON.parse(await readFile(join(c.configDir, 'queue.json'), 'utf8')))!;
    expect(doc.jobs).toHaveLength(4);
    let bytesVerified = 0;
    let failures = 0;
    let uploadDataBytes = 0;
    let uploadBytesReceived = 0;
    let uploadBytesResumed = 0;
    const completedFiles: string[] = [];
    // What a failed check prints: the job's record and what the engine has of its disk.
    const diag = (job: QueueDocument['jobs'][number]) => {
      const disks = [...h.sim.engine.state.disks.values()].filter((d) => d.id === job.diskId || d.name === job.label);
      const transfers = [...h.sim.engine.state.transfers.values()].filter((t) => disks.some((d) => d.id === t.diskId) || t.diskId === job.diskId);
      return JSON.stringify({ state: job.state, attempts: job.attempts, error: job.error, notes: job.notes, disks: disks.map((d) => `${d.id}:${d.status}`), transfers: transfers.map((t) => `${t.id}:${t.direction}:${t.phase}`), stderr: last?.stderr.slice(-20) });
    };
    for (const job of doc.jobs) {
      expect(['completed', 'failed'], `job ${job.label}: ${diag(job)}`).toContain(job.state);
      if (job.kind === 'download') {
        // A download never fails for good here: every fault is retryable and the disk stays.
        expect(job.state, `download ${job.label}: ${diag(job)}`).toBe('completed');
        const d = downloads.find((x) => x.diskId === job.download.disk)!;
        const path = downloadPath(out, d.name);
        await expectFileEqualsDisk(h.sim, d.diskId, path);
        completedFiles.push(`${d.name}.raw`);
        bytesVerified += h.sim.images.get(d.diskId)!.size;
        continue;
      }
      if (job.kind !== 'upload') throw new Error(`the soak queues no ${job.kind} jobs`);
      const u = uploads.find((x) => x.file === job.upload.path)!;
      const named = [...h.sim.engine.state.disks.values()].filter((d) => d.name === u.name);
      if (job.state === 'completed') {
        expect(named.map((d) => d.id), `disks named ${u.name}`).toEqual([job.result!.diskId]);
        await expectDiskEqualsFile(h.sim, job.result!.diskId, u.file);
        bytesVerified += h.sim.images.get(job.result!.diskId)!.size;
        uploadDataBytes += await dataBytesOf(u.file);
        uploadBytesResumed += job.result!.resumedBytes;
        uploadBytesReceived += [...received.values()].filter((r) => r.name === u.name).reduce((sum, r) => sum + r.bytes, 0);
      } else {
        failures++;
        expect(job.error, `failed upload ${u.name} has its reason`).not.toBeNull();
        await expectNoDiskNamed(h.sim, u.name, diag(job));
      }
    }
    expect(code, 'exit code of the last queue run').toBe(failures > 0 ? 1 : 0);
    // The report lists every job with its outcome.
    const report = await c.cli('queue', 'report', '--json', '--all');
    expect(report.code, report.err).toBe(0);
    const rows = report.out
      .trim()
      .split('\n')
      .flatMap((l) => (JSON.parse(l) as { rows?: Array<{ jobId: string; outcome: string }> }).rows ?? []);
    for (const job of doc.jobs) expect(rows.filter((r) => r.jobId === job.id).map((r) => r.outcome), `report rows of ${job.label}`).toContain(job.state);

    // Nothing left behind: on the engine, and in the download folder.
    const ours = new Set(downloads.map((d) => d.diskId));
    await expectEngineClean(h.sim, (d) => ours.has(d.id) || uploads.some((u) => u.name === d.name));
    const leftovers = (await readdir(out)).filter((f) => /\.(part|journal|tmp)$/.test(f) || /\.part\./.test(f));
    expect(leftovers, 'partial files left in the download folder').toEqual([]);
    for (const f of completedFiles) expect(await readdir(out)).toContain(f);
    // No upload journal left: completed uploads remove theirs, failed ones with their disk.
    const journals = join(c.configDir, 'uploads');
    const left = await readdir(journals).catch(() => []);
    expect(left, `upload journals left: ${await Promise.all(left.map((f) => readFile(join(journals, f), 'utf8')))} ${doc.jobs.map(diag).join('\n')}`).toEqual([]);
    return { seed, mix, jobs: doc.jobs.length, kills, killsMidData, killsMidUpload, starts, faults, bytesVerified, failures, uploadDataBytes, uploadBytesReceived, uploadBytesResumed, elapsedMs: Date.now() - started };
  } finally {
    h.resetFaults();
    c.tearDown();
  }
}

async function record(r: SoakRecord): Promise<void> {
  const line = JSON.stringify({ ...r, date: new Date().toISOString() });
  console.log(`kill-soak ${line}`);
  const file = process.env['DISKFERRY_SOAK_REPORT'];
  if (file) await appendFile(file, line + '\n');
}

function summary(records: readonly SoakRecord[]): string {
  const sum = (f: (r: SoakRecord) => number) => records.reduce((s, r) => s + f(r), 0);
  return `kill-soak total: runs=${records.length} jobs=${sum((r) => r.jobs)} kills=${sum((r) => r.kills)} killsMidData=${sum((r) => r.killsMidData)} killsMidUpload=${sum((r) => r.killsMidUpload)} starts=${sum((r) => r.starts)} faults=${sum((r) => r.faults.length)} bytesVerified=${sum((r) => r.bytesVerified)} failures=${sum((r) => r.failures)} uploadData=${sum((r) => r.uploadDataBytes)} uploadReceived=${sum((r) => r.uploadBytesReceived)} uploadResent=${sum((r) => r.uploadBytesReceived - r.uploadDataBytes)} uploadResumed=${sum((r) => r.uploadBytesResumed)}`;
}

const soak = process.env['DISKFERRY_SOAK'] === '1';

describe('kill -9 and restart at seeded moments (quick: 2 runs)', () => {
  let h: Harness;
  const records: SoakRecord[] = [];
  beforeAll(async () => {
    h = await startHarness('4.5');
  });
  afterAll(async () => {
    if (records.length > 0) console.log(summary(records));
    await h?.close();
  });

  it.each([1, 2])('seed %i: every job ends right', { timeout: 120_000 }, async (seed) => {
    const r = await soakRun(h, seed, 2);
    records.push(r);
    await record(r);
  });

  it('seed 3, four uploads: every job ends right', { timeout: 120_000 }, async () => {
    const r = await soakRun(h, 3, 2, 'uploads');
    records.push(r);
    await record(r);
  });
});

describe.skipIf(!soak)('kill -9 and restart at seeded moments (soak)', () => {
  const runs = Number(process.env['DISKFERRY_SOAK_RUNS'] ?? 20);
  const first = Number(process.env['DISKFERRY_SOAK_SEED'] ?? 1000);
  let h: Harness;
  const records: SoakRecord[] = [];
  beforeAll(async () => {
    h = await startHarness('4.5');
  });
  afterAll(async () => {
    if (records.length > 0) console.log(summary(records));
    await h?.close();
  });

  // Every other run queues four uploads: uploads killed at random moments, resumed by range.
  it.each(Array.from({ length: runs }, (_, i) => first + i))('seed %i: every job ends right', { timeout: 300_000 }, async (seed) => {
    const r = await soakRun(h, seed, 4, seed % 2 === 1 ? 'uploads' : 'mixed');
    records.push(r);
    await record(r);
  });
});
