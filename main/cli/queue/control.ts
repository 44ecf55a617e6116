/**
 * Pause, resume and cancel of queued jobs from another command: `queue pause|resume|cancel ID…`.
 * With a `queue run` owning the queue, the request goes through its inbox folder as a
 * `*.control.json` file (written atomically); the run applies it at its next look (every second) and
 * answers in a `*.reply.json` beside it, which the asking command waits for. With no run, the
 * command takes the run lock and changes the queue itself (control.ts's `applyControl` both ways).
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../../engine/errors.js';
import { writeFileAtomic } from '../../engine/fs/atomic.js';
import type { Log } from '../../engine/log.js';
import type { TransferQueue } from '../../engine/queue/transfer-queue.js';
import { sleep, realTimers } from '../../engine/timers.js';
import type { QueuePaths } from './ports.js';

/** What can be asked of a job. */
export type ControlAction = 'pause' | 'resume' | 'cancel';

const RequestSchema = z.object({ action: z.enum(['pause', 'resume', 'cancel']), ids: z.array(z.string().min(1)).min(1).max(10_000) });

const ReplySchema = z.object({
  results: z.array(z.object({ id: z.string(), ok: z.boolean(), state: z.string().nullable(), message: z.string().nullable() })),
});

/** The outcome for one job: its state after the action, or why it could not be done. */
export type ControlResult = z.infer<typeof ReplySchema>['results'][number];

/** How long a command waits for the running queue to answer. */
const REPLY_TIMEOUT_MS = 15_000;

/** Applies an action to each job (full ids): one that cannot take it now is answered with the reason; the others go on. */
export function applyControl(q: TransferQueue, action: ControlAction, ids: readonly string[]): ControlResult[] {
  return ids.map((id) => {
    try {
      q[action](id);
      return { id, ok: true, state: q.get(id).state, message: null };
    } catch (err) {
      return { id, ok: false, state: q.list().find((j) => j.id === id)?.state ?? null, message: errorMessage(err) };
    }
  });
}

/**
 * Hands the request to the running queue and waits for its answer. Null when none came in time
 * (the run may have ended meanwhile); the request is withdrawn then, so it is not applied later.
 */
export async function askRunningQueue(paths: QueuePaths, action: ControlAction, ids: readonly string[], signal: AbortSignal): Promise<ControlResult[] | null> {
  const stem = join(paths.inbox, `${Date.now()}-${randomBytes(4).toString('hex')}`);
  const request = `${stem}.control.json`;
  const reply = `${stem}.reply.json`;
  await writeFileAtomic(request, JSON.stringify({ action, ids }));
  const deadline = Date.now() + REPLY_TIMEOUT_MS;
  try {
    while (Date.now() < deadline) {
      const text = await readFile(reply, 'utf8').catch(() => null);
      const parsed = text === null ? null : ReplySchema.safeParse(JSON.parse(text));
      if (parsed?.success) return parsed.data.results;
      await sleep(realTimers, 100, signal);
    }
    return null;
  } finally {
    await rm(request, { force: true });
    await rm(reply, { force: true });
  }
}

/** The run's side: applies the control requests waiting in the inbox and answers each; unreadable ones are logged and removed. */
export async function answerControls(paths: QueuePaths, q: TransferQueue, log: Log): Promise<void> {
  const names = (await readdir(paths.inbox).catch(() => [] as string[])).filter((n) => n.endsWith('.control.json')).sort();
  for (const name of names) {
    const file = join(paths.inbox, name);
    const parsed = RequestSchema.safeParse(await readFile(file, 'utf8').then((t) => JSON.parse(t) as unknown, () => null));
    await rm(file, { force: true });
    if (!parsed.success) {
      log.warn('ignoring an unreadable queue control file', { file });
      continue;
    }
    const results = applyControl(q, parsed.data.action, parsed.data.ids);
    await writeFileAtomic(file.replace(/\.control\.json$/, '.reply.json'), JSON.stringify({ results }));
  }
}
