/**
 * "Not enough free space" is said before a download writes anything: on a real, small file system
 * (a tmpfs mounted for the test, where the machine allows it) a disk whose data does not fit is
 * refused with the numbers, the engine's transfer is closed (the disk is not left locked), and no
 * final file appears. The same download into a folder with room then completes. A destination that
 * cannot hold sparse files (exFAT: the OS port's statfs answers so, the rest is real) counts the
 * disk's whole size, says why, and does so before the file takes any room.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../main/cli/index.js';
import { downloadDisk } from '../../main/engine/transfer/download-disk.js';
import { capture, CLI_PORTS } from './capture.js';
import { CliHarness } from './queue-cli-helpers.js';
import { linuxSparseFiles, type LinuxNative } from '../../main/engine/os/linux.js';
import { expectFileEqualsDisk, MiB, startHarness, TUNING, type Harness } from './helpers.js';
import { addSimDisk } from './queue-helpers.js';

/** Mounts a tmpfs of `sizeMiB` at `dir`; false when this machine does not allow mounts (a container). */
function mountTmpfs(dir: string, sizeMiB: number): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** This machine's libc, except that statfs says exFAT (a test cannot mount one without the kernel's module). */
function exfatNative(): LinuxNative {
  return { statfs: async () => ({ type: 0x2011bab0 }), fallocate: () => -1, lseek: () => -1, posix_fadvise: () => 0, errno: () => 95 };
}

/** The disk's data and the small file system: twice as much data as room. */
const DATA_MIB = 32;
const ROOM_MIB = 16;

describe('free space checked before a download', () => {
  let h: Harness;
  let small: string;
  let mounted = false;
  let diskId: string;
  beforeAll(async () => {
    h = await startHarness('4.5');
    // 512 MiB virtual, DATA_MIB of data in two runs.
    diskId = await addSimDisk(h.sim, 'free-space', 512 * MiB, [
      { start: 8 * MiB, length: (DATA_MIB / 2) * MiB },
      { start: 256 * MiB, length: (DATA_MIB / 2) * MiB },
    ]);
    small = join(h.dir, 'small-fs');
    await mkdir(small);
    mounted = mountTmpfs(small, ROOM_MIB);
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', [small]);
    await h?.close();
  });

  it('refuses a disk whose data does not fit, says by how much, and leaves the disk unlocked', async (ctx) => {
    if (!mounted) ctx.skip(); // covered by test/engine/fs/free-space.test.ts on machines without mount rights
    const err = await downloadDisk(h.deps, { disk: diskId, output: { dir: small } }, { tuning: TUNING }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'disk-full', retryable: false });
    expect((err as Error).message).toMatch(new RegExp(`needs about ${DATA_MIB}(\\.00)? MiB more, but .* has .* free\\. Free some space or choose another folder`));
    expect((err as Error).message).toMatch(/is not locked/);
    expect(h.sim.engine.state.disks.get(diskId)?.status).toBe('ok');
    // Refused before a byte was written: no partial file is left, nor said to be kept.
    expect(await readdir(small)).toEqual([]);
    expect((err as Error).message).not.toContain('was kept');
    // Nothing was written: the file system is as empty as before.
    expect(Number(execFileSync('df', ['--output=used', '-B1', small]).toString().split('\n')[1])).toBeLessThan(1024 * 1024);
  });

  it('counts the whole disk on a destination that cannot hold sparse files, and says so first', async (ctx) => {
    if (!mounted) ctx.skip();
    const notes: string[] = [];
    // 16 MiB of room: not even the data fits, but the message must name the whole 512 MiB and why.
    const deps = { ...h.deps, sparse: linuxSparseFiles(exfatNative) };
    const err = await downloadDisk(deps, { disk: diskId, output: { dir: small } }, { tuning: TUNING, onNote: (n) => notes.push(n) }).catch((e: unknown) => e);
    const why = "The destination's file system (exFAT) cannot hold sparse files: the whole 512.00 MiB will be written.";
    expect(notes).toEqual([why]);
    expect(err).toMatchObject({ code: 'disk-full', retryable: false });
    expect((err as Error).message).toContain(`needs about 512.00 MiB more, but ${small} has`);
    expect((err as Error).message).toContain(why);
    expect((err as Error).message).toMatch(/is not locked/);
    expect(h.sim.engine.state.disks.get(diskId)?.status).toBe('ok');
    // Checked before the file was opened: no .part took the room.
    expect(await readdir(small)).toEqual([]);
  });

  it('downloads to a destination that cannot hold sparse files when the whole disk fits, saying why it takes so much', async () => {
    const roomy = join(h.dir, 'roomy-exfat');
    await mkdir(roomy);
    const notes: string[] = [];
    const result = await downloadDisk({ ...h.deps, sparse: linuxSparseFiles(exfatNative) }, { disk: diskId, output: { dir: roomy } }, { tuning: TUNING, onNote: (n) => notes.push(n) });
    expect(notes).toEqual(["The destination's file system (exFAT) cannot hold sparse files: the whole 512.00 MiB will be written."]);
    await expectFileEqualsDisk(h.sim, diskId, result.path);
    await rm(roomy, { recursive: true });
  });

  it('diskferry download says in a note line why it writes the whole disk, then downloads it', { timeout: 60_000 }, async () => {
    const c = new CliHarness(h);
    await c.setUp();
    const roomy = join(h.dir, 'roomy-exfat-cli');
    await mkdir(roomy);
    try {
      const stdout = capture();
      const stderr = capture();
      const code = await main(['download', diskId, '--output', roomy, '--password-file', c.pw, '--quiet'], { stdout, stderr }, { ...CLI_PORTS, sparse: linuxSparseFiles(exfatNative) });
      expect(code, stderr.text()).toBe(0);
      expect(stderr.text()).toBe("diskferry: note: The destination's file system (exFAT) cannot hold sparse files: the whole 512.00 MiB will be written.\n");
      await expectFileEqualsDisk(h.sim, diskId, join(roomy, 'free-space.raw'));
    } finally {
      c.tearDown();
      await rm(roomy, { recursive: true });
    }
  });

  it('downloads the same disk into a folder with room', async () => {
    const roomy = join(h.dir, 'roomy');
    await mkdir(roomy);
    const result = await downloadDisk(h.deps, { disk: diskId, output: { dir: roomy } }, { tuning: TUNING });
    await expectFileEqualsDisk(h.sim, diskId, result.path);
    await rm(roomy, { recursive: true });
  });
});
