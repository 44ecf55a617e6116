/**
 * Memory conditions of the benchmarks on this VM (docs/benchmarks.md, "Memory on this VM"). The VM's
 * balloon driver hands free memory back to the host (virtio-balloon free page reporting) about 2 s
 * after the guest frees it; the first write into such memory costs a host fault per page, about
 * 2.5 s of system CPU per GiB here. Which pages a case gets then decides its time more than its code
 * does, and it depends on what ran before: a client that runs right after another one's files were
 * deleted writes into backed memory, the one after a pause does not. The kernel charges that time to
 * whichever process writes the pages: the client for a download, the server (the simulator, or
 * qemu-nbd for the real daemon) for an upload.
 *
 * - `warm` (default): as on a physical machine, every case writes into memory the VM already backs.
 *   Before each case a ballast file is filled with as many pages as the case will write, and given
 *   back (truncated) a little ahead of the case's own writes, so they are reused before the balloon
 *   can take them.
 * - `cold` (`--memory cold`): every case starts after a 6 s pause, so the memory freed by the case
 *   before has been handed back.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, fdatasyncSync, ftruncateSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const MiB = 1024 * 1024;
const BALLAST_BYTES = 1024 * MiB;
/** How far ahead of the case's writes the ballast's pages are given back. */
const BALLAST_LEAD = 256 * MiB;

export type MemoryMode = 'warm' | 'cold';

/** `--memory warm|cold` from the command line (default warm). */
export function memoryModeOption(argv: readonly string[]): MemoryMode {
  const mode = argv.includes('--memory') ? argv[argv.indexOf('--memory') + 1] : 'warm';
  if (mode !== 'warm' && mode !== 'cold') throw new Error(`--memory must be warm or cold, not ${mode}`);
  return mode;
}

/**
 * A file whose page-cache pages are given back to the kernel, a slice at a time, just before a case
 * needs them. It is written in 4 MiB writes (large folios, like the cases' own) and synced, so giving
 * it back frees clean pages and causes no disk writes during the case.
 */
class Ballast {
  private released = 0;
  private constructor(
    private readonly path: string,
    private readonly fd: number,
  ) {}

  static create(dir: string): Ballast {
    const path = join(dir, `ballast-${randomUUID()}`);
    const fd = openSync(path, 'w');
    const chunk = Buffer.alloc(4 * MiB, 1);
    for (let pos = 0; pos < BALLAST_BYTES; pos += chunk.length) writeSync(fd, chunk, 0, chunk.length, pos);
    fdatasyncSync(fd);
    return new Ballast(path, fd);
  }

  /** Gives back pages so that `bytes` plus the lead have been freed. */
  releaseUpTo(bytes: number): void {
    const target = Math.min(BALLAST_BYTES, bytes + BALLAST_LEAD);
    if (target <= this.released) return;
    ftruncateSync(this.fd, BALLAST_BYTES - target);
    this.released = target;
  }

  close(): void {
    closeSync(this.fd);
    rmSync(this.path, { force: true });
  }
}

/** Bytes a process and its children (curl under GNU time) have written with write/pwrite so far (`wchar` of /proc/PID/io), or null. */
export function writtenBytes(pid: number | undefined): number | null {
  try {
    const m = /^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    if (!m) return null;
    let children: number[] = [];
    try {
      children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      // no children, or a kernel without the file
    }
    return children.reduce((sum, c) => sum + (writtenBytes(c) ?? 0), Number(m[1]));
  } catch {
    return null;
  }
}

/** Free memory of the whole machine (MemFree of /proc/meminfo), in bytes. */
export function freeBytes(): number {
  const m = /^MemFree:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Starts pacing the ballast once the case runs: `written()` is what the case has written so far (any base). Returns the stop. */
export type StartPacing = (written: () => number) => () => void;

/**
 * Prepares the memory for one case (see the file's header): syncs (no dirty pages of the case
 * before), then fills the ballast (warm) or waits 6 s (cold). Call the result when the case's
 * processes have started; call what it returns when the case has ended.
 */
export async function beforeCase(mode: MemoryMode, dir: string): Promise<StartPacing> {
  const ballast = mode === 'warm' ? Ballast.create(dir) : null;
  execFileSync('sync');
  if (mode === 'cold') await new Promise((r) => setTimeout(r, 6000));
  return (written) => {
    if (!ballast) return () => undefined;
    const base = written();
    ballast.releaseUpTo(0);
    const pacer = setInterval(() => ballast.releaseUpTo(written() - base), 5);
    return () => {
      clearInterval(pacer);
      ballast.close();
    };
  };
}
