/**
 * The download's `.part` file and the OS port: a new file is marked sparse before it grows (NTFS
 * needs that; here through a recording fake of kernel32), and zeros arriving into a resumed file
 * become holes, punched for real on Linux, or written where the file system cannot punch (FAT); each
 * journal save drops the synced data from the page cache.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linuxSparseFiles, type LinuxNative } from '../../../main/engine/os/linux.js';
import type { SparseFiles } from '../../../main/engine/os/sparse-files.js';
import { win32SparseFiles } from '../../../main/engine/os/win32.js';
import { FSCTL_SET_SPARSE, type Win32Native } from '../../../main/engine/os/win32-native.js';
import { PartFile } from '../../../main/engine/transfer/part-file.js';

const MiB = 1024 * 1024;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-part-sparse-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

/**
 * A `.part` of 8 MiB whose journal lists [0, 1 MiB) while [1 MiB, 3 MiB) also holds bytes (written
 * by a run killed before its journal save): the state a resumed download finds.
 */
async function interruptedPart(name: string): Promise<string> {
  const finalPath = join(dir, name);
  const first = await PartFile.open(finalPath, 8 * MiB, 'disk:8', { resume: true });
  await first.write(0, Buffer.alloc(MiB, 0x11));
  first.markDone(0, MiB);
  await first.saveJournal();
  await first.write(MiB, Buffer.alloc(2 * MiB, 0x22));
  await first.close();
  return finalPath;
}

describe.runIf(process.platform === 'linux')('zeros into a resumed .part on Linux', () => {
  it('become holes: the stale bytes are gone and their blocks freed', async () => {
    const finalPath = await interruptedPart('resumed.raw');
    const part = PartFile.partPath(finalPath);
    const before = (await stat(part)).blocks;
    const resumed = await PartFile.open(finalPath, 8 * MiB, 'disk:8', { resume: true });
    expect(resumed.done.toArray()).toEqual([{ start: 0, end: MiB }]);
    await resumed.write(MiB, Buffer.alloc(2 * MiB, 0)); // the server now sends zeros there
    await resumed.close();
    const bytes = await readFile(part);
    expect(bytes.subarray(0, MiB).every((b) => b === 0x11)).toBe(true);
    expect(bytes.subarray(MiB, 3 * MiB).every((b) => b === 0)).toBe(true);
    expect(before - (await stat(part)).blocks).toBeGreaterThanOrEqual((2 * MiB) / 512 - 16);
  });

  it('are written where the file system cannot punch (EOPNOTSUPP, as on FAT)', async () => {
    const finalPath = await interruptedPart('fat.raw');
    const calls: number[][] = [];
    const fat: LinuxNative = {
      statfs: async () => ({ type: 0x4d44 }),
      fallocate: (fd, mode, offset, length) => (calls.push([mode, offset, length]), -1),
      lseek: () => -1,
      posix_fadvise: () => 0,
      errno: () => 95,
    };
    const resumed = await PartFile.open(finalPath, 8 * MiB, 'disk:8', { resume: true, sparse: linuxSparseFiles(() => fat) });
    // A piece with data, zeros, data: only the zero blocks are offered to punch, then written.
    const piece = Buffer.alloc(2 * MiB, 0);
    piece.fill(0x33, 0, 64 * 1024);
    piece.fill(0x44, 2 * MiB - 64 * 1024);
    await resumed.write(MiB, piece);
    await resumed.close();
    expect(calls).toEqual([[3, MiB + 64 * 1024, 2 * MiB - 128 * 1024]]);
    const bytes = await readFile(PartFile.partPath(finalPath));
    expect(bytes.subarray(MiB, 3 * MiB).equals(piece)).toBe(true);
  });

  it('are skipped in a file this run created: it is all holes already', async () => {
    const finalPath = join(dir, 'fresh.raw');
    const calls: unknown[] = [];
    const port = linuxSparseFiles(() => ({ statfs: async () => ({ type: 0xef53 }), fallocate: (...a) => (calls.push(a), 0), lseek: () => -1, posix_fadvise: () => 0, errno: () => 0 }));
    const file = await PartFile.open(finalPath, 8 * MiB, 'disk:8', { resume: false, sparse: port });
    await file.write(0, Buffer.alloc(4 * MiB, 0));
    await file.close();
    expect(calls).toEqual([]);
    expect((await stat(PartFile.partPath(finalPath))).blocks).toBeLessThan(64);
  });
});

describe.runIf(process.platform === 'linux')('the page cache of a .part (Linux)', () => {
  it('is dropped after each journal save, once the data is synced, and the data stays', async () => {
    const finalPath = join(dir, 'cache.raw');
    const advised: number[][] = [];
    const libc = linuxSparseFiles();
    // The real calls, with posix_fadvise's recorded as it goes through.
    const port: SparseFiles = { ...libc, dropCached: (f, offset, length) => (advised.push([f.fd, offset, length]), libc.dropCached(f, offset, length)) };
    const file = await PartFile.open(finalPath, 8 * MiB, 'disk:8', { resume: false, sparse: port });
    const data = Buffer.alloc(4 * MiB, 0x6b);
    await file.write(0, data);
    file.markDone(0, data.length);
    const saves = advised.length;
    await file.saveJournal();
    expect(advised.length).toBe(saves + 1);
    expect(advised.at(-1)!.slice(1)).toEqual([0, 0]);
    if (existsSync('/usr/bin/fincore')) expect(execFileSync('/usr/bin/fincore', ['-b', '-n', '-o', 'RES', PartFile.partPath(finalPath)], { encoding: 'utf8' }).trim()).toBe('0');
    await file.complete();
    expect((await readFile(finalPath)).subarray(0, data.length).equals(data)).toBe(true);
  });
});

describe('a new .part on Windows (kernel32 faked)', () => {
  it('is marked sparse with FSCTL_SET_SPARSE while it is still empty, then grows', async () => {
    const finalPath = join(dir, 'ntfs.raw');
    const seen: Array<{ call: string; size: number }> = [];
    const kernel32: Win32Native = {
      createFile: (path) => (seen.push({ call: 'CreateFileW', size: statSync(path).size }), 5),
      deviceIoControl: (h, code) => (seen.push({ call: code === FSCTL_SET_SPARSE ? 'FSCTL_SET_SPARSE' : String(code), size: -1 }), { ok: true, bytes: 0 }),
      closeHandle: () => true,
      volumePathName: () => null,
      volumeInformation: () => null,
      driveType: () => 3,
      setThreadExecutionState: () => 0,
      lastError: () => 0,
    };
    const file = await PartFile.open(finalPath, 8 * MiB, 'disk:8', { resume: false, sparse: win32SparseFiles(() => kernel32) });
    await file.close();
    expect(seen).toEqual([
      { call: 'CreateFileW', size: 0 },
      { call: 'FSCTL_SET_SPARSE', size: -1 },
    ]);
    expect((await stat(PartFile.partPath(finalPath))).size).toBe(8 * MiB);
  });

  it('on FAT (ERROR_INVALID_FUNCTION) is simply written whole', async () => {
    const finalPath = join(dir, 'fat32.raw');
    const kernel32: Win32Native = {
      createFile: () => 5,
      deviceIoControl: () => ({ ok: false, bytes: 0 }),
      closeHandle: () => true,
      volumePathName: () => null,
      volumeInformation: () => null,
      driveType: () => 3,
      setThreadExecutionState: () => 0,
      lastError: () => 1,
    };
    const file = await PartFile.open(finalPath, 4 * MiB, 'disk:4', { resume: false, sparse: win32SparseFiles(() => kernel32) });
    await file.write(0, Buffer.alloc(MiB, 7));
    await file.close();
    const fh = await open(PartFile.partPath(finalPath), 'r');
    const head = Buffer.alloc(MiB);
    await fh.read(head, 0, MiB, 0);
    await fh.close();
    expect(head.every((b) => b === 7)).toBe(true);
  });
});
