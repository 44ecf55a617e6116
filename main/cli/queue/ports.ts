/**
 * The CLI's side of the transfer queue: where its files live, the lock that lets one `queue run` at a
 * time own the queue (and the inbox through which `queue add` reaches a running one), keeping the
 * machine awake (systemd-inhibit, caffeinate, SetThreadExecutionState), notifications as terminal lines, and report files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeStaleTemps, writeFileAtomic } from '../../engine/fs/atomic.js';
import { DiskFerryError, errorCode, errorMessage } from '../../engine/errors.js';
import { processAlive } from '../../engine/janitor/ledger.js';
import type { Log } from '../../engine/log.js';
import { NewJobSchema, type NewJob, type QueueJob } from '../../engine/queue/job.js';
import type { NotificationPort, PowerPort } from '../../engine/queue/ports.js';
import { win32Power } from '../../engine/os/win32-power.js';
import type { Win32Native } from '../../engine/os/win32-native.js';
import { reportCsv, type ReportSink, type RunReport } from '../../engine/queue/report.js';
import { configDir, queueFile } from '../config.js';
import { UsageError } from '../errors.js';

/** The queue's files in the config folder. */
export interface QueuePaths {
  readonly file: string;
  readonly lock: string;
  readonly inbox: string;
  readonly reports: string;
}

/** Where the queue lives (`<configDir>/queue.json` and friends). */
export function queuePaths(dir: string = configDir()): QueuePaths {
  return { file: queueFile(dir), lock: join(dir, 'queue.lock'), inbox: join(dir, 'queue-inbox'), reports: join(dir, 'reports') };
}

/** The pid of the `queue run` that owns the queue now, or null (a lock left by a killed run does not count). */
export async function liveRunPid(paths: QueuePaths): Promise<number | null> {
  const text = await readFile(paths.lock, 'utf8').catch(() => null);
  const pid = text === null ? NaN : Number(text.trim());
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && (await processAlive(pid)) ? pid : null;
}

/** Takes the run lock; throws when another live `queue run` holds it. Returns the release function. */
export async function acquireRunLock(paths: QueuePaths): Promise<() => Promise<void>> {
  for (let i = 0; i < 3; i++) {
    const owner = await liveRunPid(paths);
    if (owner !== null) throw new UsageError(`Another 'diskferry queue run' is working on this queue (process ${owner}). Add jobs with 'diskferry queue add'; it picks them up.`);
    await rm(paths.lock, { force: true });
    try {
      const fh = await open(paths.lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      // Saves of queue.json cut short by a kill -9 leave their temporary files; a minute old is
      // far older than any save still running (a `queue add` without a run writes the file too).
      await removeStaleTemps(paths.file, 60_000);
      return () => rm(paths.lock, { force: true });
    } catch (err) {
      if (errorCode(err) !== 'EEXIST') throw err;
    }
  }
  throw new UsageError('Could not take the queue lock; another run is starting. Try again.');
}

/** Refuses a change to the queue file while a run owns it (it would overwrite the change). */
export async function ensureNoRun(paths: QueuePaths, what: string): Promise<void> {
  const pid = await liveRunPid(paths);
  if (pid !== null) throw new UsageError(`A 'diskferry queue run' (process ${pid}) owns the queue; ${what} after it ends, or stop it first.`);
}

/**
 * Hands new jobs to the running `queue run` (one file each, written atomically). Each job gets its id
 * here, so the run can tell a job it already took from one it has not. The names sort in the order
 * given: the time of the call, then the job's place in it (several jobs are written within one
 * millisecond, and a random part alone queued them in any order).
 */
export async function postToInbox(paths: QueuePaths, jobs: readonly NewJob[]): Promise<void> {
  const stamp = String(Date.now()).padStart(15, '0');
  for (const [i, job] of jobs.entries()) {
    const name = `${stamp}-${String(i).padStart(6, '0')}-${randomBytes(4).toString('hex')}.job.json`;
    await writeFileAtomic(join(paths.inbox, name), JSON.stringify({ ...job, id: job.id ?? randomUUID() }));
  }
}

/** What the inbox hand-over needs of the queue. */
export interface InboxQueue {
  list(): readonly { readonly id: string }[];
  add(specs: readonly NewJob[]): Promise<unknown>;
}

/**
 * Moves the jobs waiting in the inbox (oldest first) into the queue: each file is removed only once
 * its job is saved in the queue, so a kill in between loses nothing, and a job the queue already holds
 * (saved just before a kill) is not added twice. Unreadable files, and jobs the queue refuses (the same
 * work already queued), are logged and removed. Returns how many jobs were added.
 */
export async function takeInbox(paths: QueuePaths, log: Log, queue: InboxQueue): Promise<number> {
  const names = (await readdir(paths.inbox).catch(() => [] as string[])).filter((n) => n.endsWith('.job.json')).sort();
  let added = 0;
  for (const name of names) {
    const file = join(paths.inbox, name);
    const parsed = NewJobSchema.safeParse(await readFile(file, 'utf8').then((t) => JSON.parse(t) as unknown, () => null));
    if (!parsed.success) log.warn('ignoring an unreadable queue inbox file', { file });
    else if (parsed.data.id === undefined || !queue.list().some((j) => j.id === parsed.data.id)) {
      try {
        await queue.add([parsed.data]);
        added++;
      } catch (err) {
        if (!(err instanceof DiskFerryError) || err.code !== 'bad-input') throw err; // kept for the next look
        log.warn('the queue refused a job from the inbox', { file, error: err.message });
      }
    }
    await rm(file, { force: true });
  }
  return added;
}

/** What keeping awake needs of the OS: starting a helper program, or kernel32 on Windows. Tests record them. */
export interface PowerNatives {
  readonly spawn?: (command: string, args: readonly string[]) => ChildProcess;
  readonly win32?: () => Win32Native | null;
}

/**
 * Keeps the computer from sleeping while bytes move: `systemd-inhibit` on Linux (it holds the lock
 * while its `cat` reads our stdin pipe, so the lock ends with this process even after kill -9),
 * `caffeinate -i -w PID` on macOS (it ends when our process does), and SetThreadExecutionState on
 * Windows (held by our thread, gone with the process). Elsewhere, or when the tool is missing or
 * refused, it does nothing and says so once in the log.
 */
export function createCliPower(log: Log, platform: NodeJS.Platform = process.platform, natives: PowerNatives = {}): PowerPort {
  if (platform === 'win32') return win32Power(log, natives.win32);
  const start = natives.spawn ?? ((command: string, args: readonly string[]) => spawn(command, args, { stdio: ['pipe', 'ignore', 'ignore'] }));
  let child: ChildProcess | null = null;
  let usable = platform === 'linux' || platform === 'darwin';
  const giveUp = (why: string) => {
    if (usable) log.info('cannot keep the computer awake', { why });
    usable = false;
    child = null;
  };
  return {
    setAwake(awake) {
      if (awake && !child && usable) {
        const [cmd, args] =
          platform === 'darwin'
            ? ['caffeinate', ['-i', '-w', String(process.pid)]]
            : ['systemd-inhibit', ['--what=sleep:idle', '--who=DiskFerry', '--why=Transferring disk images', '--mode=block', 'cat']];
        const c = start(cmd!, args as string[]);
        child = c;
        c.on('error', (err) => giveUp(`${cmd}: ${err.message}`));
        c.on('exit', (code) => {
          if (child === c && code !== 0 && code !== null) giveUp(`${cmd} exited with ${code}`);
          if (child === c) child = null;
        });
        c.stdin?.on('error', () => {});
        c.unref();
        (c.stdin as unknown as { unref?: () => void } | null)?.unref?.();
      } else if (!awake && child) {
        const c = child;
        child = null;
        c.stdin?.end();
        c.kill();
      }
    },
  };
}

/** Notifications as lines on stderr. */
export function terminalNotifications(stderr: NodeJS.WritableStream): NotificationPort {
  return { notify: (n) => void stderr.write(`diskferry: ${n.title}: ${n.body}\n`) };
}

/** A file-name-safe timestamp. */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[:.]/g, '-');
}

/** Writes each report as JSON and CSV into the reports folder (the history) and next to the downloads. */
export function reportFiles(paths: QueuePaths, log: Log): ReportSink {
  return {
    async write(report: RunReport, jobs: readonly QueueJob[]) {
      const base = `diskferry-report-${stamp(report.createdAt)}`;
      const dirs = new Set([paths.reports, ...jobs.filter((j) => j.kind === 'download').map((j) => (j.kind === 'download' ? j.download.outputDir : ''))]);
      for (const dir of dirs) {
        try {
          await writeFileAtomic(join(dir, `${base}.json`), JSON.stringify(report, null, 2) + '\n', { mode: 0o644 });
          await writeFileAtomic(join(dir, `${base}.csv`), reportCsv(report), { mode: 0o644 });
        } catch (err) {
          log.warn('could not write the run report', { dir, error: errorMessage(err) });
        }
      }
    },
  };
}
