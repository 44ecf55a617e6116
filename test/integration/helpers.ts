/**
 * Shared setup for the integration tests: a simulator per engine version, TransferDeps built the way
 * a composition root builds them (real OvirtClient, real timers), sparse test images with data runs
 * and holes, and byte-for-byte comparisons against the simulator's volumes and seeded disks.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { createLog } from '../../main/engine/log.js';
import { OvirtClient } from '../../main/engine/ovirt/client.js';
import { realTimers } from '../../main/engine/timers.js';
import type { TransferDeps } from '../../main/engine/transfer/deps.js';
import type { TransferTuning } from '../../main/engine/transfer/deps.js';
import { startSimulator, type Simulator } from '../../main/simulator/simulator.js';
import type { FaultSettings } from '../../main/simulator/faults.js';
import type { SimImage } from '../../main/simulator/image-store.js';
import { sparseFilesFor } from '../../main/engine/os/index.js';
import { RangeSet, type ByteRange } from '../../shared/range-set.js';
import { seedDiskBytes, seedDiskRuns, SEED_DISKS, seedId } from '../../main/simulator/engine/seed.js';
import type { EngineVersion } from '../../main/simulator/engine/model.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** Every engine generation the tests run against. */
export const VERSIONS: readonly EngineVersion[] = ['4.1', '4.3', '4.5'];

/** Engine waits in tests: the simulator's fast mode steps every 25 ms, so 20 s is generous. */
export const TUNING: TransferTuning = { engineTimeoutMs: 20_000 };

/** A running simulator plus a logged-in client and the deps a transfer needs. */
export interface Harness {
  readonly sim: Simulator;
  readonly deps: TransferDeps;
  readonly client: OvirtClient;
  /** Every log line the engine code wrote (for "no secret leaked" checks). */
  readonly logLines: string[];
  /** A scratch folder, removed on close. */
  readonly dir: string;
  /** Resets every fault to its default. */
  resetFaults(): void;
  close(): Promise<void>;
}

/** Starts a fast simulator of `version` and a client for it polling every 20 ms. */
export async function startHarness(version: EngineVersion, faults: Partial<FaultSettings> = {}): Promise<Harness> {
  const sim = await startSimulator({ engineVersion: version, fast: true, faults });
  const dir = await mkdtemp(join(tmpdir(), `diskferry-it-${version}-`));
  const logLines: string[] = [];
  const log = createLog({ level: 'debug', write: (l) => logLines.push(l) });
  const trust = { caPem: [sim.caPem] };
  const client = new OvirtClient({ engineUrl: sim.engineUrl, username: sim.username, password: () => sim.password, trust, log, pollIntervalMs: 20 });
  await client.login();
  const defaults = { ...sim.faults };
  return {
    sim,
    client,
    logLines,
    dir,
    deps: { client, trust, log, timers: realTimers, now: Date.now },
    resetFaults: () => Object.assign(sim.faults, defaults),
    async close() {
      await client.logout().catch(() => {});
      await client.close();
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One run of data in a test image. */
export interface DataRun {
  readonly start: number;
  readonly length: number;
}

/**
 * Writes a sparse raw image: `size` bytes, random data in `runs`, holes everywhere else (and one
 * all-zero block written explicitly inside the first run, which the uploader must still get right).
 */
export async function makeSparseImage(path: string, size: number, runs: readonly DataRun[]): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.truncate(size);
    for (const r of runs) {
      const data = randomBytes(r.length);
      if (r.length >= 256 * KiB) data.fill(0, 64 * KiB, 192 * KiB);
      await fh.write(data, 0, data.length, r.start);
    }
  } finally {
    await fh.close();
  }
}

/** A typical test image: 24 MiB virtual with ~6 MiB of data in runs separated by holes. */
export const SMALL_RUNS: readonly DataRun[] = [
  { start: 0, length: 1 * MiB },
  { start: 3 * MiB, length: 2 * MiB + 512 * KiB },
  { start: 9 * MiB + 64 * KiB, length: 192 * KiB },
  { start: 14 * MiB, length: 2 * MiB },
  { start: 24 * MiB - 256 * KiB, length: 256 * KiB },
];
export const SMALL_SIZE = 24 * MiB;

/** A minimal ISO 9660 image: the volume descriptor magic at 0x8000 and some data. */
export async function makeIso(path: string, size: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.truncate(size);
    await fh.write(randomBytes(32 * KiB), 0, 32 * KiB, 0);
    await fh.write(Buffer.from([0x01, 0x43, 0x44, 0x30, 0x30, 0x31, 0x01, 0x00]), 0, 8, 0x8000);
    await fh.write(randomBytes(MiB), 0, MiB, 2 * MiB);
  } finally {
    await fh.close();
  }
}

/** A qcow2 v3 header that names a backing file (enough for the probe to refuse it). */
export async function makeQcow2WithBacking(path: string, virtualSize: number): Promise<void> {
  const head = Buffer.alloc(64 * KiB);
  head.writeUInt32BE(0x514649fb, 0);
  head.writeUInt32BE(3, 4);
  const backing = Buffer.from('base.qcow2');
  head.writeBigUInt64BE(512n, 8);
  head.writeUInt32BE(backing.length, 16);
  head.writeUInt32BE(16, 20);
  head.writeBigUInt64BE(BigInt(virtualSize), 24);
  head.writeUInt32BE(0, 32);
  head.writeUInt32BE(1, 36);
  head.writeBigUInt64BE(BigInt(3 * 64 * KiB), 40);
  head.writeBigUInt64BE(BigInt(64 * KiB), 48);
  head.writeUInt32BE(104, 100);
  backing.copy(head, 512);
  const fh = await open(path, 'w');
  try {
    await fh.write(head, 0, head.length, 0);
    await fh.truncate(4 * 64 * KiB);
  } finally {
    await fh.close();
  }
}

const CHUNK = 16 * MiB;

/** Content to compare: where it may hold data (zeros everywhere else) and how to read a range. */
interface Content {
  readonly ranges: readonly ByteRange[];
  /** Fills `target` with [offset, offset + target.length). */
  readInto(offset: number, target: Buffer): Promise<void>;
}

/**
 * Compares a local file with `expected`, byte for byte, reading only where either holds data: the
 * file's holes (SEEK_DATA / SEEK_HOLE) read as zeros without being read, and the rest of both sides
 * is zeros. Reading a 512 MiB file's holes cost ~1 s of system time each (the kernel fills page
 * cache pages with zeros), and the tests compare many such files. Two buffers serve every chunk.
 */
async function expectFileContent(path: string, size: number, expected: Content, what: string): Promise<void> {
  expect((await stat(path)).size, `size of ${path}`).toBe(size);
  const fh = await open(path, 'r');
  try {
    const fileRanges = sparseFilesFor().dataRanges({ path, fd: fh.fd }, size) ?? [{ start: 0, end: size }];
    const file: Content = { ranges: fileRanges, readInto: (offset, target) => readRanges(fh, fileRanges, offset, target) };
    const got = Buffer.allocUnsafe(CHUNK);
    const want = Buffer.allocUnsafe(CHUNK);
    for (const r of RangeSet.from([...fileRanges, ...expected.ranges]).within(0, size)) {
      for (let off = r.start; off < r.end; off += CHUNK) {
        const len = Math.min(CHUNK, r.end - off);
        await file.readInto(off, got.subarray(0, len));
        await expected.readInto(off, want.subarray(0, len));
        if (!want.subarray(0, len).equals(got.subarray(0, len))) expect.fail(`${path} differs from ${what} in [${off}, ${off + len})`);
      }
    }
  } finally {
    await fh.close();
  }
}

/** Reads [offset, offset+target.length) of an open file, only its parts inside `ranges` (zeros elsewhere and past EOF). */
async function readRanges(fh: FileHandle, ranges: readonly ByteRange[], offset: number, target: Buffer): Promise<void> {
  target.fill(0);
  const end = offset + target.length;
  for (const r of ranges) {
    const a = Math.max(offset, r.start);
    const b = Math.min(end, r.end);
    for (let got = 0; a + got < b; ) {
      const { bytesRead } = await fh.read(target, a - offset + got, b - a - got, a + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
  }
}

/** A simulated volume as content to compare with. */
function volumeContent(image: SimImage): Content {
  return { ranges: image.data.toArray(), readInto: (offset, target) => image.readInto(offset, target) };
}

/** Asserts that the simulator's volume of `diskId` holds exactly the bytes of `path` (guest view). */
export async function expectDiskEqualsFile(sim: Simulator, diskId: string, path: string): Promise<void> {
  const image = sim.images.get(diskId);
  expect(image, `the simulator has no volume for disk ${diskId}`).toBeDefined();
  expect(image!.size).toBe((await stat(path)).size);
  await expectFileContent(path, image!.size, volumeContent(image!), `disk ${diskId}`);
}

/** Asserts that a downloaded file holds exactly the bytes of the simulator's volume of `diskId`. */
export async function expectFileEqualsDisk(sim: Simulator, diskId: string, path: string): Promise<void> {
  const image = sim.images.get(diskId);
  expect(image, `the simulator has no volume for disk ${diskId}`).toBeDefined();
  await expectFileContent(path, image!.size, volumeContent(image!), `disk ${diskId}`);
}

/** Asserts that a downloaded file holds the deterministic content of a seeded disk. */
export async function expectFileEqualsSeed(name: string, path: string): Promise<void> {
  const spec = SEED_DISKS.find((d) => d.name === name)!;
  const ranges = seedDiskRuns(name).map((r) => ({ start: r.start, end: r.start + r.length }));
  const readInto = async (offset: number, target: Buffer) => void seedDiskBytes(name, offset, target.length).copy(target);
  await expectFileContent(path, spec.provisionedSize, { ranges, readInto }, `seeded disk ${name}`);
}

/** Bytes the file really occupies on disk. */
export async function allocatedBytes(path: string): Promise<number> {
  return (await stat(path)).blocks * 512;
}

/** The id of a seeded disk. */
export function seededDiskId(name: string): string {
  return seedId(`disk:${name}`);
}

/** True when a file exists. */
export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Resolves when `predicate` holds, polling every 5 ms (for "the engine phase is now X"). */
export async function until(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The phases of a disk's transfers as the engine model holds them. */
export function transferPhasesOf(sim: Simulator, diskId: string): string[] {
  return [...sim.engine.state.transfers.values()].filter((t) => t.diskId === diskId).map((t) => t.phase);
}
