/**
 * The engine side of a transfer after its creation: a poll per transfer with the engine's backoff
 * (or a fast cadence), running the transitions of reference/engine.md §4.3, the inactivity policy of
 * §4.7, download auto-finalize (§4.5 item 5), verification, disk unlock or removal, and row cleanup.
 */
import type { EngineContext } from './context.js';
import { removeDiskNow } from './disks.js';
import { isFinishedPhase, versionAtLeast, type TransferPhase, type TransferRecord } from './model.js';
import { addTickets, ensureTickets, refreshTicketsIfDue, removeTickets } from './session.js';
import { verifyUploadedVolume } from './verification.js';

/** SucceededImageTransferCleanupTimeInMinutes (4.4.7+). */
const SUCCESS_RETENTION_MS = 15 * 60 * 1000;
/** FailedImageTransferCleanupTimeInMinutes (4.4.7+). */
const FAILURE_RETENTION_MS = 30 * 60 * 1000;

/** Session start: tickets and `transferring`, or the paused_system/cancelled_system of a failed start. */
export function startSession(ctx: EngineContext, t: TransferRecord): void {
  if (ctx.faults.pausedSystemAtStart) {
    // Failing to add the ticket: upload waits for resume, a download is cancelled by the system.
    t.phase = t.direction === 'upload' ? 'paused_system' : 'cancelled_system';
    return;
  }
  addTickets(ctx, t);
  t.lastUpdated = ctx.now();
  t.phase = 'transferring';
}

/** Schedules the next poll of a transfer until it is finished or gone. */
export function schedulePoll(ctx: EngineContext, t: TransferRecord): void {
  ctx.timers.after(ctx.timing.pollDelayMs(t.polls), async () => {
    t.polls++;
    if (isFinishedPhase(t.phase)) return;
    await pollTransfer(ctx, t);
    if (!isFinishedPhase(t.phase)) schedulePoll(ctx, t);
  });
}

/** Ends the command: the terminal phase, the disk outcome, and (before 4.4.7) the row deletion. */
async function finish(ctx: EngineContext, t: TransferRecord, phase: 'finished_success' | 'finished_failure'): Promise<void> {
  t.phase = phase;
  t.finishedAt = ctx.now();
  if (!versionAtLeast(ctx.version, '4.4')) ctx.state.transfers.delete(t.id); // rows kept from 4.4.7
  // A backup transfer locked nothing, so it unlocks nothing either.
  const disk = t.backupId === null ? ctx.state.disks.get(t.diskId) : undefined;
  if (t.direction === 'upload' && phase === 'finished_failure') {
    // From 4.2.4 endWithFailure runs RemoveDisk on the transfer's disk, whether or not the transfer
    // created it; older engines leave it illegal for the client to remove (reference/engine.md §6).
    if (versionAtLeast(ctx.version, '4.3')) await removeDiskNow(ctx, t.diskId);
    else if (disk) disk.status = 'illegal';
  } else if (disk) {
    disk.status = 'ok';
  }
}

/** The inactivity outcome for this policy and direction (reference/engine.md §4.7 table). */
function inactivityPhase(ctx: EngineContext, t: TransferRecord): TransferPhase {
  const policy = versionAtLeast(ctx.version, '4.4') ? t.timeoutPolicy : 'legacy';
  if (policy === 'cancel') return 'cancelled_system';
  if (policy === 'pause') return 'paused_system';
  return t.direction === 'upload' ? 'paused_system' : 'cancelled_system';
}

function stoppedBySystem(t: TransferRecord): TransferPhase {
  return t.direction === 'upload' ? 'paused_system' : 'cancelled_system';
}

/** `transferring`: ticket stats, keep-alive, auto-finalize, inactivity and the pausedSystemNow fault. */
function monitor(ctx: EngineContext, t: TransferRecord): void {
  const ticket = ctx.daemon.tickets.get(t.ticketId);
  if (!ticket) {
    t.phase = stoppedBySystem(t); // GetImageTicket failed
    return;
  }
  if (ctx.faults.pausedSystemNow && t.direction === 'upload') {
    ctx.faults.pausedSystemNow = false;
    removeTickets(ctx, t); // as after a failed ticket extend: the ticket is gone until resume
    t.phase = 'paused_system';
    return;
  }
  if (!versionAtLeast(ctx.version, '4.3')) {
    // 4.1: no ticket polling; the session lives as long as the client calls extend.
    if (t.inactivityTimeout > 0 && ctx.now() - t.lastUpdated > t.inactivityTimeout * 1000) t.phase = stoppedBySystem(t);
    return;
  }
  t.active = ticket.active;
  t.transferred = ticket.transferred() ?? null;
  refreshTicketsIfDue(ctx, t);
  if (t.direction === 'download' && t.transferred === t.ticketSize && !ticket.active) {
    t.idleCompletePolls++;
    if (t.idleCompletePolls >= 2) {
      t.phase = 'finalizing_success';
      return;
    }
  } else {
    t.idleCompletePolls = 0;
  }
  // Idle time counts from the last request, but never from before the session (re)started.
  const idle = Math.min(ticket.idleTime(), Math.floor(ctx.daemon.tickets.clock() - t.sessionStartedAt));
  if (t.inactivityTimeout > 0 && !ticket.active && idle > t.inactivityTimeout) t.phase = inactivityPhase(ctx, t);
}

/** One engine poll of one transfer (TransferDiskImageCommand.executeStateHandler). */
async function pollTransfer(ctx: EngineContext, t: TransferRecord): Promise<void> {
  const disk = t.backupId === null ? ctx.state.disks.get(t.diskId) : undefined;
  switch (t.phase) {
    case 'initializing':
      startSession(ctx, t);
      return;
    case 'transferring':
      monitor(ctx, t);
      return;
    case 'resuming':
      ensureTickets(ctx, t);
      t.lastUpdated = ctx.now();
      t.idleCompletePolls = 0;
      t.phase = 'transferring';
      return;
    case 'paused_system':
    case 'paused_user':
      return;
    case 'cancelled_user':
      removeTickets(ctx, t);
      if (disk) disk.status = t.direction === 'upload' ? 'illegal' : 'ok';
      t.phase = 'finalizing_cleanup';
      return;
    case 'finalizing_cleanup':
      t.phase = 'finished_cleanup';
      return;
    case 'finished_cleanup':
      await finish(ctx, t, 'finished_failure');
      return;
    case 'cancelled_system':
      removeTickets(ctx, t);
      if (disk && t.direction === 'upload') disk.status = 'illegal';
      t.phase = 'finalizing_failure';
      return;
    case 'finalizing_success': {
      removeTickets(ctx, t);
      if (t.direction === 'download') return finish(ctx, t, 'finished_success');
      const good = disk ? await verifyUploadedVolume(ctx, t, disk) : false;
      if (t.phase !== 'finalizing_success') return; // an action changed the phase meanwhile
      if (good) return finish(ctx, t, 'finished_success');
      if (disk) disk.status = 'illegal';
      t.phase = 'finalizing_failure';
      return;
    }
    case 'finalizing_failure':
      removeTickets(ctx, t);
      return finish(ctx, t, 'finished_failure');
    case 'finished_success':
    case 'finished_failure':
      return;
  }
}

/** Deletes finished rows older than their retention (DbEntityCleanupManager, 4.4.7+). */
export function purgeFinishedTransfers(ctx: EngineContext): void {
  const now = ctx.now();
  for (const t of ctx.state.transfers.values()) {
    if (t.finishedAt === null) continue;
    const keep = t.phase === 'finished_success' ? SUCCESS_RETENTION_MS : FAILURE_RETENTION_MS;
    if (now - t.finishedAt > keep) ctx.state.transfers.delete(t.id);
  }
}
