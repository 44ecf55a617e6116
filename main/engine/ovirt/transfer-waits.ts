/**
 * The two waits around the data of an image transfer (reference/engine.md §4.1, §4.8, §5.1):
 * until the session is ready (`transferring` with a URL), and after `finalize` / `cancel` until the
 * engine has really decided. An action's 200 proves nothing (the engine answers 200 even for an
 * unknown transfer id), so every outcome is confirmed by reading the transfer and then the disk.
 */
import { DiskFerryError } from '../errors.js';
import type { Log } from '../log.js';
import type { Timers } from '../timers.js';
import { wait } from './timing.js';
import type { Disk, ImageTransfer, TransferDirection } from './types.js';

/** What the waits need from the engine (OvirtClient implements it). */
export interface TransferWaitApi {
  transfer(id: string, signal?: AbortSignal): Promise<ImageTransfer | null>;
  disk(id: string, signal?: AbortSignal): Promise<Disk | null>;
  resumeTransfer(id: string, signal?: AbortSignal): Promise<void>;
  finalizeTransfer(id: string, signal?: AbortSignal): Promise<void>;
  cancelTransfer(id: string, signal?: AbortSignal): Promise<void>;
}

/** The ports of a wait. */
export interface WaitDeps {
  readonly timers: Timers;
  readonly now: () => number;
  readonly log: Log;
  /** Between two GETs; the reference clients use 1 s. */
  readonly pollIntervalMs: number;
}

/** How the end of a transfer was confirmed. */
export interface TransferOutcome {
  /** `phase`: the engine showed `finished_success`; `disk`: the row was gone and the disk was `ok`. */
  readonly confirmedBy: 'phase' | 'disk';
}

/** The SDK helper allows 60 s for a transfer to start. */
const DEFAULT_START_TIMEOUT_MS = 60_000;
/** Phase steps take up to ~10 s each; ovirt-img allows 300 s for finalize. */
const DEFAULT_FINISH_TIMEOUT_MS = 300_000;
/** `paused_system` while starting → `resume`, at most this many times. */
const DEFAULT_MAX_RESUMES = 3;

/**
 * Runs an engine call, repeating it while the engine cannot be reached or answers 5xx, until the
 * deadline: a transfer whose data is all sent must not be lost because the engine was restarting
 * when it was time to finalize. Actions are safe to repeat (they request a phase), and so are GETs.
 */
async function whileEngineAway<T>(deps: WaitDeps, deadline: number, signal: AbortSignal, what: string, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const away = err instanceof DiskFerryError && err.retryable && (err.code === 'network' || err.code === 'server-error');
      if (!away || deps.now() >= deadline) throw err;
      deps.log.warn('the engine is not answering; waiting for it', { what, attempt, error: err.message });
      await wait(deps.timers, Math.min(10_000, deps.pollIntervalMs * 2 ** Math.min(attempt, 6)), signal, what);
    }
  }
}

/** Phases after which the transfer can only end in failure. */
const FAILING = new Set(['cancelled', 'cancelled_system', 'cancelled_user', 'finalizing_failure', 'finalizing_cleanup', 'finished_cleanup', 'finished_failure']);

function transferFailed(message: string): DiskFerryError {
  return new DiskFerryError('transfer-failed', message, { retryable: false });
}

/**
 * Polls until the transfer is `transferring` with a data URL. `paused_system` (the engine could not
 * add the ticket) gets `resume`, a bounded number of times. Unknown phases keep the poll going. On
 * failure the transfer is left as it is: the caller decides between `cancel` (upload; deletes the
 * disk) and `finalize` (download).
 */
export async function waitForTransferReady(
  api: TransferWaitApi,
  deps: WaitDeps,
  start: ImageTransfer | string,
  options: { timeoutMs?: number; maxResumes?: number; signal?: AbortSignal } = {},
): Promise<ImageTransfer> {
  const id = typeof start === 'string' ? start : start.id;
  const signal = options.signal ?? new AbortController().signal;
  const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const deadline = deps.now() + timeoutMs;
  const maxResumes = options.maxResumes ?? DEFAULT_MAX_RESUMES;
  let resumes = 0;
  let t: ImageTransfer | null = typeof start === 'string' ? null : start;
  for (;;) {
    t ??= await api.transfer(id, signal);
    if (!t)
      throw transferFailed(
        `The engine removed transfer ${id} before it started: it could not start the session (no usable host, or the disk was removed). Check the engine's events, then try again.`,
      );
    const phase = t.phase;
    if (phase === 'transferring' && (t.transferUrl || t.proxyUrl)) return t;
    if (phase === 'paused_system') {
      if (resumes >= maxResumes)
        throw transferFailed(
          `The engine paused transfer ${id} (paused_system) ${resumes + 1} times while starting it: it could not set up the data server ticket. Check the hosts and the storage domain, then try again.`,
        );
      resumes++;
      deps.log.warn('transfer paused by the engine while starting; resuming', { transfer: id, attempt: resumes });
      await api.resumeTransfer(id, signal);
    } else if (phase === 'paused_user') {
      throw transferFailed(`Transfer ${id} was paused by someone else (paused_user) while it started. Check it in the engine, then try again.`);
    } else if (FAILING.has(phase)) {
      throw transferFailed(`The engine ended transfer ${id} (${phase}) while starting it. Check the engine's events, then try again.`);
    } else if (phase === 'finalizing_success' || phase === 'finished_success') {
      throw transferFailed(`Transfer ${id} was finalized (${phase}) before any data was sent. Check for another client working on the same disk.`);
    }
    // initializing, resuming, transferring without a URL yet, or a phase newer than this client: keep polling.
    if (deps.now() >= deadline)
      throw new DiskFerryError('timeout', `The engine did not start transfer ${id} within ${Math.round(timeoutMs / 1000)} s (phase ${phase}). Try again later.`);
    await wait(deps.timers, deps.pollIntervalMs, signal, 'Waiting for the transfer to start');
    t = null;
  }
}

/**
 * `finalize`, then polls until the engine decides (reference/engine.md §4.8): `finished_success` is
 * success, `finished_failure` and `paused_system` failure; when the row is gone (404: engines before
 * 4.4.7, or cleaned up) the disk decides: `ok` is success, `illegal`, `locked` or gone is failure.
 */
export async function finishTransfer(
  api: TransferWaitApi,
  deps: WaitDeps,
  id: string,
  options: { diskId: string; direction: TransferDirection; timeoutMs?: number; signal?: AbortSignal },
): Promise<TransferOutcome> {
  const signal = options.signal ?? new AbortController().signal;
  const timeoutMs = options.timeoutMs ?? DEFAULT_FINISH_TIMEOUT_MS;
  const upload = options.direction === 'upload';
  const failed = (why: string) =>
    upload
      ? new DiskFerryError(
          'verification-failed',
          `The engine did not accept the uploaded disk ${options.diskId}: ${why}. The engine deletes a failed upload's disk; check the image format and upload again.`,
          { retryable: false },
        )
      : transferFailed(`The engine reported that download ${id} failed: ${why}. Download it again.`);
  const deadline = deps.now() + timeoutMs;
  // A download the engine already ended by itself (fully read, then idle for two polls) is not
  // finalized again: engines before 4.5.3 move a finished transfer back to finalizing_success, where
  // it stays for good.
  const before = upload ? null : await whileEngineAway(deps, deadline, signal, 'Reading the transfer', () => api.transfer(id, signal));
  if (before?.phase === 'finished_success') return { confirmedBy: 'phase' };
  if (before?.phase !== 'finalizing_success') await whileEngineAway(deps, deadline, signal, 'Finalizing the transfer', () => api.finalizeTransfer(id, signal));
  for (;;) {
    const t = await whileEngineAway(deps, deadline, signal, 'Waiting for the engine to finish the transfer', () => api.transfer(id, signal));
    if (!t) {
      const disk = await whileEngineAway(deps, deadline, signal, 'Reading the disk', () => api.disk(options.diskId, signal));
      if (disk?.status === 'ok') return { confirmedBy: 'disk' };
      throw failed(disk ? `the transfer ended and the disk is ${disk.status ?? 'in an unknown state'}` : 'the transfer ended and the disk was removed');
    }
    if (t.phase === 'finished_success') return { confirmedBy: 'phase' };
    if (t.phase === 'finished_failure') throw failed('the transfer ended in finished_failure');
    // The SDK documents paused_system after finalize (disk illegal, not removed); treat it as failure.
    if (t.phase === 'paused_system') throw failed('the engine could not finalize it (paused_system)');
    if (deps.now() >= deadline)
      throw new DiskFerryError(
        'timeout',
        `The engine did not finish transfer ${id} within ${Math.round(timeoutMs / 1000)} s (phase ${t.phase}). Check the transfer in the engine before using the disk.`,
      );
    await wait(deps.timers, deps.pollIntervalMs, signal, 'Waiting for the engine to finish the transfer');
  }
}

/**
 * `cancel`, then polls until the transfer has ended (`finished_*`, or gone). For an upload the
 * engine then deletes the disk (4.2.4+), even one that existed before.
 */
export async function cancelTransferAndWait(
  api: TransferWaitApi,
  deps: WaitDeps,
  id: string,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ readonly phase: 'finished_failure' | 'finished_success' | 'gone' }> {
  const signal = options.signal ?? new AbortController().signal;
  const timeoutMs = options.timeoutMs ?? DEFAULT_FINISH_TIMEOUT_MS;
  const deadline = deps.now() + timeoutMs;
  await whileEngineAway(deps, deadline, signal, 'Cancelling the transfer', () => api.cancelTransfer(id, signal));
  for (;;) {
    const t = await whileEngineAway(deps, deadline, signal, 'Waiting for the engine to cancel the transfer', () => api.transfer(id, signal));
    if (!t) return { phase: 'gone' };
    // finished_success: the cancel came after the end (4.5.3+ ignores it).
    if (t.phase === 'finished_failure') return { phase: 'finished_failure' };
    if (t.phase === 'finished_success') return { phase: 'finished_success' };
    if (deps.now() >= deadline)
      throw new DiskFerryError('timeout', `The engine did not end cancelled transfer ${id} within ${Math.round(timeoutMs / 1000)} s (phase ${t.phase}). Check it in the engine.`);
    await wait(deps.timers, deps.pollIntervalMs, signal, 'Waiting for the engine to cancel the transfer');
  }
}
