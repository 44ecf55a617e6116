/**
 * qcow2 fixtures made with qemu-img and qemu-io (Debian qemu-utils), and the ways tests check our
 * reader and writer against qemu. A missing qemu-img fails the test: CI installs qemu-utils.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const KiB = 1024;
export const MiB = 1024 * KiB;

/** Runs a qemu tool; a missing binary is an error that says how to get it. */
export async function qemu(tool: 'qemu-img' | 'qemu-io', args: string[]): Promise<string> {
  try {
    const { stdout } = await run(tool, args, { maxBuffer: 64 * MiB });
    return stdout;
  } catch (err) {
    const e = err as { code?: unknown; stderr?: string; message: string };
    if (e.code === 'ENOENT') throw new Error(`${tool} is not installed; these tests need it (apt-get install qemu-utils).`);
    throw new Error(`${tool} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

/** `qemu-img convert -O raw`: the guest data qemu sees, as a file. */
export async function qemuRaw(image: string, out: string): Promise<string> {
  await qemu('qemu-img', ['convert', '-O', 'raw', image, out]);
  return out;
}

/** The guest data of an image as qemu sees it, in memory. */
export async function qemuGuestBytes(image: string, scratch: string): Promise<Buffer> {
  return readFile(await qemuRaw(image, scratch));
}

/** qemu's view of which guest bytes hold data (allocated, not zero), merged. */
export async function qemuDataRanges(image: string): Promise<Array<{ start: number; length: number }>> {
  const map = JSON.parse(await qemu('qemu-img', ['map', '--output=json', image])) as Array<{ start: number; length: number; data: boolean }>;
  const out: Array<{ start: number; length: number }> = [];
  for (const e of map) {
    if (!e.data) continue;
    const last = out[out.length - 1];
    if (last && last.start + last.length === e.start) last.length += e.length;
    else out.push({ start: e.start, length: e.length });
  }
  return out;
}

/** Bytes that deflate and zstd shrink, never repeating a cluster: numbered lines of text. */
export function compressible(length: number): Buffer {
  const seed = randomBytes(4).toString('hex');
  const lines: string[] = [];
  let total = 0;
  for (let i = 0; total < length; i++) {
    const line = `${seed} line ${i} of a compressible test pattern ${i * 7919}\n`;
    lines.push(line);
    total += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, length);
}

/** A raw source for fixtures: data runs, explicit zeros and holes, a size that is not a cluster multiple. */
export async function makeSourceRaw(path: string, size = 12 * MiB + 3 * 512): Promise<string> {
  const fh = await open(path, 'w');
  try {
    await fh.truncate(size);
    await fh.write(randomBytes(700 * KiB), 0, 700 * KiB, 0); // not cluster-aligned at its end
    await fh.write(Buffer.alloc(256 * KiB), 0, 256 * KiB, 1 * MiB); // written zeros
    // Compressible (so `convert -c` really compresses) but different in every cluster.
    const text = compressible(3 * MiB + 100);
    await fh.write(text, 0, text.length, 3 * MiB + 4 * KiB);
    await fh.write(Buffer.alloc(1 * KiB, 0x41), 0, 1 * KiB, 9 * MiB + 60 * KiB); // straddles a cluster boundary
    await fh.write(randomBytes(20 * KiB), 0, 20 * KiB, size - 20 * KiB); // the partial last cluster
  } finally {
    await fh.close();
  }
  return path;
}

/** The kinds of qcow2 the reader must handle. */
export const FIXTURE_KINDS = ['v3', 'v2', 'zero-clusters', 'deflate', 'zstd', 'extended-l2', 'small-clusters'] as const;
export type FixtureKind = (typeof FIXTURE_KINDS)[number];

/**
 * Makes one fixture from a raw source. `zero-clusters` adds zero-flagged clusters (allocated and
 * unallocated ones) with qemu-io; `extended-l2` adds zeroed and written subclusters.
 */
export async function makeQcow2(dir: string, kind: FixtureKind, source: string): Promise<string> {
  const out = join(dir, `${kind}.qcow2`);
  const convert = (opts: string[]) => qemu('qemu-img', ['convert', '-O', 'qcow2', ...opts, source, out]);
  switch (kind) {
    case 'v3':
      await convert([]);
      break;
    case 'v2':
      await convert(['-o', 'compat=0.10']);
      break;
    case 'zero-clusters':
      await convert([]);
      await qemu('qemu-io', ['-f', 'qcow2', '-c', 'write -z 128k 256k', '-c', 'write -z -u 3200k 128k', '-c', 'write -z 8M 1M', out]);
      break;
    case 'deflate':
      await convert(['-c']);
      break;
    case 'zstd':
      await convert(['-c', '-o', 'compression_type=zstd']);
      break;
    case 'extended-l2':
      await convert(['-o', 'extended_l2=on,cluster_size=128k']);
      await qemu('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 10M 8k', '-c', 'write -z 64k 16k', '-c', 'write -P 0x33 11538432 4k', out]);
      break;
    case 'small-clusters':
      await convert(['-o', 'cluster_size=512']);
      break;
  }
  return out;
}

/** Asserts `qemu-img check` finds no errors (it exits non-zero when it does). */
export async function qemuCheck(image: string): Promise<string> {
  return qemu('qemu-img', ['check', image]);
}

/** `qemu-img compare`: exits non-zero (an error here) when the guest data differs. */
export async function qemuCompare(a: string, b: string): Promise<void> {
  await qemu('qemu-img', ['compare', a, b]);
}
