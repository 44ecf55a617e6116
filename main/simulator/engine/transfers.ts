/**
 * Image transfers (reference/engine.md §4.1, §4.2, §4.4, §4.8): create with its validations and the
 * synchronous session start, GET and list, and the five actions.
 */
import { randomUUID } from 'node:crypto';
import { API, type EngineContext } from './context.js';
import { activeTransferOf, diskLockedError, domainStatusError } from './disks.js';
import {
  inputBool,
  inputEnum,
  inputInt,
  inputRef,
  incompleteParameters,
  notFound,
  ok,
  operationFailed,
  type ApiRequest,
  type Reply,
} from './http-util.js';
import { collection, transferJson } from './json.js';
import { isFinishedPhase, versionAtLeast, type DiskRecord, type TransferBackend, type TransferRecord } from './model.js';
import { purgeFinishedTransfers, schedulePoll, startSession } from './phase-poller.js';
import { extendTickets, ticketSize } from './session.js';
import { issueSignedTicket } from './signed-ticket.js';
import { publishSecret } from '../secret-channel.js';
import { backupTransferTarget } from './backup-transfers.js';

/** TransferImageClientInactivityTimeoutInSeconds. */
const DEFAULT_INACTIVITY_TIMEOUT_S = 60;

/** What a transfer body targets: the disk, and the ImageStore key of the volume it moves. */
interface Target {
  readonly disk: DiskRecord;
  readonly viaSnapshot: boolean;
  readonly imageKey: string;
}

/** The disk a transfer body targets: `disk`/`snapshot` (4.2+) or the deprecated `image` (the disk id). */
function resolveTarget(ctx: EngineContext, body: Record<string, unknown>, download: boolean): Target {
  const v43 = versionAtLeast(ctx.version, '4.3');
  const image = inputRef(body['image']);
  const diskRef = v43 ? inputRef(body['disk']) : undefined;
  const snapshot = v43 ? inputRef(body['snapshot']) : undefined;
  const notExist = () => operationFailed(400, 'Cannot transfer Virtual Disk. The specified disk does not exist.');
  if (snapshot?.id !== undefined) {
    // GetDiskIdBySnapshotId: a disk snapshot id is a volume id, the active one or a point-in-time one.
    const active = [...ctx.state.disks.values()].find((d) => d.imageId === snapshot.id);
    if (active) return { disk: active, viaSnapshot: true, imageKey: active.id };
    const volume = ctx.state.volumes.get(snapshot.id);
    const disk = volume ? ctx.state.disks.get(volume.diskId) : undefined;
    if (!volume || !disk) throw operationFailed(400, 'Cannot transfer Virtual Disk. The specified disk snapshot does not exist.');
    return { disk, viaSnapshot: true, imageKey: volume.id };
  }
  const id = diskRef?.id ?? image?.id;
  if (id === undefined) {
    // Without a target the engine would create a disk (webadmin only); for a download that fails.
    if (download) throw operationFailed(400, 'Cannot transfer Virtual Disk. Image is not specified for download.');
    throw incompleteParameters('ImageTransfer', [v43 ? 'disk.id|snapshot.id|image.id' : 'image.id']);
  }
  const disk = ctx.state.disks.get(id);
  if (!disk) throw notExist();
  return { disk, viaSnapshot: false, imageKey: disk.id };
}

/** TransferDiskImageCommand.validateImageTransfer; a backup transfer takes no disk lock and skips the running-VM check. */
function validate(ctx: EngineContext, disk: DiskRecord, viaSnapshot: boolean, viaBackup: boolean): void {
  if (disk.status === 'illegal') throw operationFailed(500, `Cannot transfer Virtual Disk. The following disks are in illegal state: ${disk.name}.`);
  if (!viaBackup && (disk.status === 'locked' || activeTransferOf(ctx, disk.id))) throw diskLockedError(ctx, disk, 'transfer');
  const sd = ctx.state.storageDomains.get(disk.storageDomainId);
  if (sd && sd.status !== 'active') throw domainStatusError(sd, 'transfer');
  if (!viaSnapshot && !viaBackup) {
    const running = [...ctx.state.vms.values()].filter((vm) => vm.status !== 'down' && vm.diskIds.includes(disk.id));
    if (running.length > 0) {
      throw operationFailed(409, `Cannot transfer Virtual Disk. Disk ${disk.name} is plugged to one or more non-Down VMs: ${running.map((v) => v.name).join(', ')}.`);
    }
  }
}

/** POST /imagetransfers: validates, locks the disk, starts the session (usually `transferring` at once). */
export async function addTransfer(ctx: EngineContext, r: ApiRequest): Promise<Reply> {
  const body = await r.json();
  const v43 = versionAtLeast(ctx.version, '4.3');
  // timeout_policy (4.4.5) and shallow (4.4.3): the 4.4 personality is 4.4.10.
  const v44 = versionAtLeast(ctx.version, '4.4');
  const direction = inputEnum(body['direction'], 'ImageTransferDirection', ['upload', 'download'] as const) ?? 'upload';
  const format = v43 ? inputEnum(body['format'], 'DiskFormat', ['raw', 'cow'] as const) : undefined;
  const inactivityTimeout = inputInt(body['inactivity_timeout'], 'inactivity_timeout') ?? DEFAULT_INACTIVITY_TIMEOUT_S;
  const timeoutPolicy = (v44 ? inputEnum(body['timeout_policy'], 'ImageTransferTimeoutPolicy', ['legacy', 'pause', 'cancel'] as const) : undefined) ?? 'legacy';
  const shallow = (v44 ? inputBool(body['shallow'], 'shallow') : undefined) ?? false;
  const hostRef = inputRef(body['host']);
  const target = resolveTarget(ctx, body, direction === 'download');
  const { disk, viaSnapshot } = target;
  const backupRef = v43 ? inputRef(body['backup']) : undefined;
  validate(ctx, disk, viaSnapshot, backupRef !== undefined);
  const viaBackup = backupRef ? backupTransferTarget(ctx, disk, backupRef.id, format, direction, viaSnapshot) : null;
  const host = viaBackup?.hostId
    ? ctx.state.hosts.get(viaBackup.hostId)
    : hostRef?.id !== undefined
      ? ctx.state.hosts.get(hostRef.id)
      : [...ctx.state.hosts.values()].find((h) => h.status === 'up');
  if (!host) throw operationFailed(409, 'Cannot transfer Virtual Disk. There is no active Host in the Data Center.');
  if (inactivityTimeout < 0) throw operationFailed(400, 'Cannot transfer Virtual Disk. The inactivity timeout must not be negative.');

  // An explicit raw selects NBD (4.3+); anything else, and every 4.1 transfer, the FILE backend.
  // A backup transfer always reads through NBD, whatever the format says.
  const backend: TransferBackend = format === 'raw' || viaBackup ? 'nbd' : 'file';
  const id = randomUUID();
  const ticketId = randomUUID();
  const now = ctx.now();
  const standIn = ctx.faults.dataServerOrigin;
  const transferUrl = standIn
    ? `${standIn}/images/${ticketId}`
    : ctx.faults.transferUrlUnreachable
      ? `https://${ctx.urlHost}:${ctx.unreachablePort}/images/${ticketId}`
      : ctx.daemon.imageUrl(ticketId);
  const t: TransferRecord = {
    id,
    diskId: disk.id,
    direction,
    backend,
    // Without a format a backup transfer reports cow (getTransferImageFormat), though it reads guest data.
    format: format ?? (viaBackup ? 'cow' : disk.format),
    inactivityTimeout,
    timeoutPolicy,
    shallow,
    hostId: host.id,
    ticketId,
    ticketSize: ticketSize(ctx, disk, direction, backend),
    transferUrl,
    proxyUrl: standIn ? `${standIn}/images/${ticketId}` : ctx.proxy.imageUrl(ticketId),
    signedTicket: v43 ? null : issueSignedTicket(ctx.signingKey, { ticketId, daemonUrl: ctx.daemon.imageUrl(ticketId), transferId: id, nowMs: now }),
    viaSnapshot,
    imageKey: viaBackup?.imageKey ?? target.imageKey,
    backupId: viaBackup?.backupId ?? null,
    dirty: viaBackup?.dirty ?? false,
    phase: 'initializing',
    active: false,
    transferred: v43 ? 0 : null,
    lastUpdated: now,
    sessionStartedAt: ctx.daemon.tickets.clock(),
    idleCompletePolls: 0,
    polls: 0,
    createdAt: now,
    finishedAt: null,
  };
  publishSecret('ticket-id', ticketId);
  publishSecret('transfer-url', t.transferUrl);
  publishSecret('proxy-url', t.proxyUrl);
  if (!viaBackup) disk.status = 'locked'; // lockImage(), for downloads too; backup transfers lock nothing
  ctx.state.transfers.set(id, t);
  startSession(ctx, t);
  schedulePoll(ctx, t);
  return { status: 201, body: transferJson(ctx, t), headers: { location: `https://${String(r.headers.host)}${API}/imagetransfers/${id}` } };
}

/** GET /imagetransfers: every row still in the table (4.5 keeps finished rows 15/30 min). */
export function listTransfers(ctx: EngineContext): Reply {
  purgeFinishedTransfers(ctx);
  return ok(collection('image_transfer', [...ctx.state.transfers.values()].map((t) => transferJson(ctx, t))));
}

/** GET /imagetransfers/{id}: 404 with an empty body once the row is gone. */
export function getTransfer(ctx: EngineContext, r: ApiRequest): Reply {
  purgeFinishedTransfers(ctx);
  const t = ctx.state.transfers.get(r.params['id'] ?? '');
  if (!t) throw notFound();
  return ok(transferJson(ctx, t));
}

const ACTIONS = ['extend', 'pause', 'resume', 'finalize', 'cancel'] as const;

/** POST /imagetransfers/{id}/{action}: 200 `{"status":"complete"}`, even for an unknown id. */
export async function transferAction(ctx: EngineContext, r: ApiRequest): Promise<Reply> {
  await r.json();
  const action = ACTIONS.find((a) => a === r.params['action']);
  // `cancel` came with 4.2.3: older engines know no such action.
  if (!action || (action === 'cancel' && !versionAtLeast(ctx.version, '4.3'))) throw notFound();
  const done = ok({ status: 'complete' });
  const t = ctx.state.transfers.get(r.params['id'] ?? '');
  if (!t) return done; // TransferImageStatusCommand succeeds on a dummy entity
  const v43 = versionAtLeast(ctx.version, '4.3');
  if (action === 'pause' && t.direction === 'download' && v43) {
    throw operationFailed(400, 'Cannot pause image transfer. Pausing a download is not supported.');
  }
  if (action === 'resume' && v43 && t.phase !== 'paused_system' && t.phase !== 'paused_user') {
    throw operationFailed(409, "Cannot resume image transfer as it's not in a paused state.");
  }
  if (action === 'extend') {
    t.lastUpdated = ctx.now();
    if (!v43) extendTickets(ctx, t); // before 4.2 the client's extend is what refreshed the ticket
    return done;
  }
  // Since 4.5.3 a change away from a finished phase is ignored (logged, no error).
  if (isFinishedPhase(t.phase) && versionAtLeast(ctx.version, '4.5')) return done;
  t.phase = action === 'pause' ? 'paused_user' : action === 'resume' ? 'resuming' : action === 'finalize' ? 'finalizing_success' : 'cancelled_user';
  return done;
}
