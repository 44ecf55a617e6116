/**
 * `transfers:listEngine` / `transfers:endEngine`: the selected engine's own image transfers in the
 * window, ours (this app's queue jobs; the command line's queue jobs and plain commands on this
 * machine) and other clients', and ending a stuck one — over the same
 * janitor the CLI's `diskferry transfers [clean]` uses (main/engine/janitor/): the same survey, the
 * same conditions, the same way of ending each direction. What this file adds is the window's
 * rules of consent, checked here and not only in the window: another client's transfer that may be
 * in use is ended only when the request says the user confirmed whose it is, an upload's only when
 * it says the user accepted that the engine deletes its disk, and a transfer one of our jobs goes
 * on with never (the queue's pause and cancel are for that, the app's or `diskferry queue`'s).
 */
import type { EndEngineTransferRequest, EndEngineTransferResult, EngineTransfers, EngineTransfersRequest, EngineTransferView } from '../../shared/ipc.js';
import type { CommandLineFiles } from '../engine/config-dir.js';
import { DiskFerryError } from '../engine/errors.js';
import { endStuckTransfer, surveyTransfers, type Owner, type TransferCondition, type TransferRow } from '../engine/janitor/janitor.js';
import { TransferLedger } from '../engine/janitor/ledger.js';
import { ownersOf } from '../engine/janitor/owners.js';
import { Sightings } from '../engine/janitor/sightings.js';
import type { QueueJob } from '../engine/queue/job.js';
import { DEFAULT_ENGINE_TIMEOUT_MS, type TransferDeps } from '../engine/transfer/deps.js';
import { commandLineQueueJobs } from './document-files.js';
import type { EnginesService } from './engines-service.js';

/** What the service needs of the rest of the core. */
export interface EngineTransfersServiceOptions {
  readonly engines: EnginesService;
  /** The app queue's jobs (whose transfers are ours). */
  readonly jobs: () => readonly QueueJob[];
  readonly now: () => number;
  /** How long ending a transfer waits for its disk (default the engine step timeout, 5 min). */
  readonly timeoutMs?: number;
  /**
   * The command line's files (engine/config-dir.ts): the local record of its plain commands'
   * transfers (engine/janitor/ledger.ts) and its queue, so that a transfer a `diskferry` command or
   * a `diskferry queue` job has open reads as theirs; none = not read.
   */
  readonly commandLine?: CommandLineFiles;
}

/** Stuck first (what the view is for), then what moves or is held, then what is ending or ended. */
const ORDER: Readonly<Record<TransferCondition, number>> = { stuck: 0, unknown: 1, moving: 2, held: 3, ending: 4, finished: 5 };

/** Whether the user may end a row (EngineTransferView.endable). */
function endable(r: TransferRow): EngineTransferView['endable'] {
  if (r.condition === 'stuck') return 'stuck';
  if (r.condition === 'finished' || r.condition === 'ending' || r.owner !== null) return 'no';
  return 'another-client';
}

/** The window's view of an owner: jobId names a job of its own queue (the window links to it); a command line job's is in its label. */
function ownerView(o: Owner): NonNullable<EngineTransferView['owner']> {
  // `window-queue` is how the command line names the window's jobs; here they are the own queue's.
  const kind = o.kind === 'window-queue' ? 'queue' : o.kind;
  return { kind, label: o.label, name: o.name, ref: o.ref, host: o.host, live: o.live, jobId: kind === 'queue' ? (o.jobId ?? null) : null };
}

/** The window's view of a janitor row. */
export function engineTransferView(r: TransferRow): EngineTransferView {
  const t = r.transfer;
  return {
    id: t.id,
    direction: t.direction,
    phase: t.phase,
    diskId: t.diskId,
    diskName: r.diskName,
    hostName: r.hostName,
    owner: r.owner ? ownerView(r.owner) : null,
    idleMs: r.idleMs,
    condition: r.condition,
    reason: r.reason,
    why: r.why,
    ending: t.direction === 'download' ? 'finalize' : 'cancel',
    endable: endable(r),
  };
}

/** See the file comment. */
export class EngineTransfersService {
  /** Idle times as this app saw them, per engine profile (kept while the app runs). */
  private readonly sightings = new Map<string, Sightings>();
  /** Transfers being ended now: a second request for one waits for nothing and is refused. */
  private readonly ending = new Set<string>();

  constructor(private readonly o: EngineTransfersServiceOptions) {}

  /** The selected engine's transfers (open ones unless `all`), of one disk when asked. */
  async list(request: EngineTransfersRequest = {}): Promise<EngineTransfers> {
    const engineId = this.o.engines.selectedId();
    const deps = await this.o.engines.transferDeps(engineId);
    const rows = (await this.survey(engineId, deps)).filter((r) => (request.all === true || r.condition !== 'finished') && (request.diskId === undefined || r.transfer.diskId === request.diskId));
    const sorted = rows.map((r, i) => ({ r, i })).sort((a, b) => ORDER[a.r.condition] - ORDER[b.r.condition] || a.i - b.i);
    return { engineId, engineName: this.o.engines.profile(engineId).name, diskId: request.diskId ?? null, transfers: sorted.map(({ r }) => engineTransferView(r)), listedAt: this.o.now() };
  }

  /** Ends one transfer of the selected engine (see the file comment for what must be confirmed), then waits for its disk. */
  async end(request: EndEngineTransferRequest): Promise<EndEngineTransferResult> {
    const engineId = this.o.engines.selectedId();
    const deps = await this.o.engines.transferDeps(engineId);
    if (this.ending.has(request.id)) throw new DiskFerryError('conflict', `Transfer ${request.id} is being ended already; wait for its result.`, { retryable: false });
    const row = (await this.survey(engineId, deps)).find((r) => r.transfer.id === request.id);
    if (!row) throw new DiskFerryError('not-found', `The engine no longer lists transfer ${request.id}: it has ended. Refresh the list.`, { retryable: false });
    refuseWithoutConsent(row, request);
    const timeoutMs = this.o.timeoutMs ?? DEFAULT_ENGINE_TIMEOUT_MS;
    this.ending.add(request.id);
    try {
      // The janitor waits up to timeoutMs for each of its steps; this bounds the whole.
      const end = await endStuckTransfer(deps, row.transfer, { timeoutMs, signal: AbortSignal.timeout(3 * timeoutMs) });
      deps.log.info('ended an engine transfer from the window', { transfer: request.id, action: end.action, disk: end.disk, owner: row.owner?.label ?? 'another client' });
      return { id: request.id, action: end.action, disk: end.disk, diskName: row.diskName, message: end.message };
    } finally {
      this.ending.delete(request.id);
    }
  }

  private async survey(engineId: string, deps: TransferDeps): Promise<TransferRow[]> {
    let sightings = this.sightings.get(engineId);
    if (!sightings) {
      sightings = await Sightings.open(null);
      this.sightings.set(engineId, sightings);
    }
    const cli = this.o.commandLine;
    const owners = await ownersOf({
      queue: this.o.jobs().filter((j) => j.engine === engineId),
      ...(cli ? { otherQueue: { kind: 'command-line-queue' as const, jobs: await commandLineQueueJobs(cli.queueFile) }, ledger: { ledger: new TransferLedger(cli.ledger), engineHost: deps.client.engineHost } } : {}),
    });
    return surveyTransfers(deps, owners, sightings);
  }
}

/** Throws `conflict` for what may not be ended, or not without the user's word (the window asks first). */
function refuseWithoutConsent(row: TransferRow, request: EndEngineTransferRequest): void {
  const t = row.transfer;
  const disk = row.diskName ? `'${row.diskName}'` : (t.diskId ?? 'unknown');
  const no = (message: string) => new DiskFerryError('conflict', message, { retryable: false });
  if (row.condition === 'finished') throw no(`Transfer ${t.id} has already ended (${t.phase}).`);
  if (row.condition === 'ending') throw no(`The engine is ending transfer ${t.id} already (${t.phase}); refresh the list in a moment.`);
  if (row.owner?.live) {
    const { kind, label, jobId } = row.owner;
    const short = (jobId ?? '').slice(0, 8);
    throw no(
      kind === 'queue'
        ? `Transfer ${t.id} belongs to ${label}, which goes on with it. Pause or cancel that job in the queue instead.`
        : kind === 'command-line-queue'
          ? `Transfer ${t.id} belongs to ${label} of the command line, which goes on with it. Pause or cancel that job there instead: diskferry queue pause ${short}, or diskferry queue cancel ${short}.`
          : `Transfer ${t.id} belongs to ${label}, which is still running. Stop that command instead.`,
    );
  }
  if (endable(row) === 'another-client' && request.anotherClient !== true)
    throw no(`Transfer ${t.id} belongs to another client and may be in use (${row.why}). Ending it breaks that client's ${t.direction}; pick it and confirm to end it anyway.`);
  if (t.direction === 'upload' && request.deleteDisk !== true) throw no(`Ending upload transfer ${t.id} makes the engine delete its disk ${disk}. Confirm that to end it.`);
}
