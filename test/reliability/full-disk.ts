/**
 * A local file system that fills up while a download runs, for the disk-full tests. Preferably a real
 * one: a small tmpfs mounted on a temp folder (root on Linux), filled by another file the way another
 * program would fill it, and freed by deleting that file. Where mounting is not allowed (CI
 * containers), an injected FilePort over the real file system that counts the blocks files occupy
 * and, once its budget is spent, performs the write on /dev/full so that the kernel itself answers
 * ENOSPC. Set DISKFERRY_FULL_DISK=injected to force the fallback.
 */
import { execFile } from 'node:child_process';
import { open as openFile, mkdir, mkdtemp, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FilePort, WritableFile } from '../../main/engine/fs/file-port.js';

const run = promisify(execFile);
const PAGE = 4096;
const MiB = 1024 * 1024;

/** A folder on a file system with limited room, which the test can fill up and free again. */
export interface SmallDisk {
  /** `tmpfs`: a real mounted file system; `injected`: the FilePort below must be used to write. */
  readonly kind: 'tmpfs' | 'injected';
  /** The download folder (empty at first; the filler file lives outside it). */
  readonly dir: string;
  /** Present for the injected kind: give it to TransferDeps.files / main(…, { files }). */
  readonly files: FilePort | undefined;
  /** Takes every free byte (another program filled the disk). */
  fill(): Promise<void>;
  /** Gives back what fill() took (the user freed space). */
  free(): Promise<void>;
  close(): Promise<void>;
}

let mountable: Promise<boolean> | null = null;

/** True when this process may mount a tmpfs (root on Linux, outside a restricted container). */
export function canMountTmpfs(): Promise<boolean> {
  if (process.env['DISKFERRY_FULL_DISK'] === 'injected' || process.platform !== 'linux') return Promise.resolve(false);
  return (mountable ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'diskferry-mount-probe-'));
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
      await run('umount', [dir]);
      return true;
    } catch {
      return false;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })());
}

/** A folder with `room` bytes of room, on a tmpfs when possible, else behind an injected FilePort. */
export async function makeSmallDisk(room: number): Promise<SmallDisk> {
  const root = await mkdtemp(join(tmpdir(), 'diskferry-full-'));
  const dir = join(root, 'out');
  if (await canMountTmpfs()) {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${room}`, 'tmpfs', root]);
    await mkdir(dir);
    const filler = join(root, 'filler');
    return {
      kind: 'tmpfs',
      dir,
      files: undefined,
      fill: () => fillUp(filler),
      free: () => rm(filler, { force: true }),
      async close() {
        await run('umount', [root]).catch(() => run('umount', ['-l', root]));
        await rm(root, { recursive: true, force: true });
      },
    };
  }
  await mkdir(dir);
  const files = new BudgetFiles(room);
  let taken = 0;
  return {
    kind: 'injected',
    dir,
    files,
    fill: () => {
      taken += files.budget;
      files.budget = 0;
      return Promise.resolve();
    },
    free: () => {
      files.budget += taken;
      taken = 0;
      return Promise.resolve();
    },
    async close() {
      await files.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Writes `path` until the file system has no byte left (big chunks, then pages). */
async function fillUp(path: string): Promise<void> {
  const fh = await openFile(path, 'a');
  try {
    for (const chunk of [Buffer.alloc(MiB, 1), Buffer.alloc(PAGE, 1)]) {
      for (;;) {
        const ok = await fh.write(chunk).then(
          (r) => r.bytesWritten === chunk.length,
          (err: unknown) => {
            if ((err as { code?: unknown }).code !== 'ENOSPC') throw err;
            return false;
          },
        );
        if (!ok) break;
      }
    }
  } finally {
    await fh.close();
  }
}

/** The error the kernel gives for a write on a full file system: really obtained from /dev/full. */
async function enospc(): Promise<Error> {
  try {
    const full = await openFile('/dev/full', 'w');
    try {
      await full.write(Buffer.alloc(1), 0, 1, 0);
    } finally {
      await full.close();
    }
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOSPC') return err as Error;
  }
  // No /dev/full (not Linux): the same shape node gives the kernel's ENOSPC.
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}

/**
 * Real files whose block allocation is counted (4 KiB pages per inode, the way tmpfs allocates): a
 * write that needs more pages than the budget has writes what fits and then fails with ENOSPC.
 * Rewriting allocated pages costs nothing, as on a real file system.
 */
class BudgetFiles implements FilePort {
  budget: number;
  private readonly pages = new Map<number, Set<number>>();

  constructor(capacity: number) {
    this.budget = capacity;
  }

  async open(path: string, flags: 'w' | 'r+', mode?: number): Promise<WritableFile> {
    const fh = await openFile(path, flags, mode);
    const ino = Number((await fh.stat()).ino);
    if (flags === 'w') this.release(ino, 0);
    return this.wrap(fh, ino);
  }

  close(): Promise<void> {
    this.pages.clear();
    return Promise.resolve();
  }

  private wrap(fh: FileHandle, ino: number): WritableFile {
    const write = async (buffer: Uint8Array, offset: number, length: number, position: number) => {
      const fits = this.reserve(ino, position, length);
      if (fits === 0 && length > 0) throw await enospc();
      return fh.write(buffer, offset, fits, position);
    };
    return {
      write,
      async writeFile(data) {
        const buf = typeof data === 'string' ? Buffer.from(data) : data;
        for (let done = 0; done < buf.length; ) done += (await write(buf, done, buf.length - done, done)).bytesWritten;
      },
      truncate: async (length) => {
        this.release(ino, length);
        await fh.truncate(length);
      },
      datasync: () => fh.datasync(),
      sync: () => fh.sync(),
      close: () => fh.close(),
    };
  }

  /** Allocates the pages of [position, position+length) while the budget lasts; returns the bytes that fit. */
  private reserve(ino: number, position: number, length: number): number {
    const owned = this.pages.get(ino) ?? new Set<number>();
    this.pages.set(ino, owned);
    const end = position + length;
    for (let page = Math.floor(position / PAGE); page * PAGE < end; page++) {
      if (owned.has(page)) continue;
      if (this.budget < PAGE) return Math.max(0, page * PAGE - position);
      this.budget -= PAGE;
      owned.add(page);
    }
    return length;
  }

  /** Gives back the pages of an inode from `length` on (truncate, or open with 'w'). */
  private release(ino: number, length: number): void {
    const owned = this.pages.get(ino);
    if (!owned) return;
    for (const page of [...owned]) {
      if (page * PAGE >= length) {
        owned.delete(page);
        this.budget += PAGE;
      }
    }
  }
}
