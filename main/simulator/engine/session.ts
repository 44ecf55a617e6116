/**
 * The imageio session of a transfer: ticket size, adding the daemon and proxy tickets, keeping them
 * alive, removing them (reference/engine.md §4.1 "What the engine does when the session starts", §4.10).
 */
import type { TicketSpec } from '../imageio/tickets.js';
import type { EngineContext } from './context.js';
import { isBlockStorage, versionAtLeast, type DiskRecord, type TransferBackend, type TransferDirection, type TransferRecord } from './model.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** ImageTransferHostTicketValidityInSeconds. */
const HOST_TICKET_TIMEOUT_S = 300;
/** ImageTransferHostTicketRefreshAllowanceInSeconds: extend when less than this remains. */
const TICKET_REFRESH_ALLOWANCE_S = 60;

/** The ticket size table (getTransferSize, reference/engine.md §4.10). */
export function ticketSize(ctx: EngineContext, disk: DiskRecord, direction: TransferDirection, backend: TransferBackend): number {
  if (backend === 'nbd' || disk.format === 'raw') return disk.provisionedSize;
  if (direction === 'download') return ctx.images.get(disk.id)?.size ?? disk.provisionedSize;
  const sd = ctx.state.storageDomains.get(disk.storageDomainId);
  if (sd && isBlockStorage(sd.storageType)) return disk.sparse ? (disk.initialSize ?? GiB) : disk.provisionedSize;
  return Math.floor(disk.provisionedSize * 1.1) + MiB;
}

/** The backend URL the data server understands for a volume; a shallow NBD export leaves out the backing chain. */
function backendUrl(t: TransferRecord): string {
  return `${t.backend}:sim:${t.imageKey}${t.backend === 'nbd' && t.shallow ? '?shallow' : ''}`;
}

/** AddImageTicket on the host, then the same ticket on the engine proxy pointing at the daemon. */
export function addTickets(ctx: EngineContext, t: TransferRecord): void {
  const disk = ctx.state.disks.get(t.diskId);
  const spec: TicketSpec = {
    uuid: t.ticketId,
    size: t.ticketSize,
    ops: [t.direction === 'upload' ? 'write' : 'read'],
    timeout: HOST_TICKET_TIMEOUT_S,
    url: backendUrl(t),
    transfer_id: t.id,
    sparse: disk?.sparse ?? false,
    dirty: t.dirty,
    // The engine passes its inactivity timeout to imageio only from 4.5.0 on.
    ...(versionAtLeast(ctx.version, '4.5') ? { inactivity_timeout: t.inactivityTimeout } : {}),
  };
  ctx.daemon.tickets.add(spec);
  ctx.proxy.tickets.add({ ...spec, url: ctx.daemon.imageUrl(t.ticketId) });
  t.sessionStartedAt = ctx.daemon.tickets.clock();
}

/** Stops the session: removes the host ticket, then (ignoring errors) the proxy ticket. */
export function removeTickets(ctx: EngineContext, t: TransferRecord): void {
  ctx.daemon.tickets.remove(t.ticketId);
  ctx.proxy.tickets.remove(t.ticketId);
}

/** Extends both tickets by the host ticket validity. */
export function extendTickets(ctx: EngineContext, t: TransferRecord): void {
  ctx.daemon.tickets.extend(t.ticketId, HOST_TICKET_TIMEOUT_S);
  ctx.proxy.tickets.extend(t.ticketId, HOST_TICKET_TIMEOUT_S);
}

/** What the engine does on each poll while transferring: refresh the host ticket before it expires. */
export function refreshTicketsIfDue(ctx: EngineContext, t: TransferRecord): void {
  const ticket = ctx.daemon.tickets.get(t.ticketId);
  if (ticket && ticket.expires - ctx.daemon.tickets.clock() < TICKET_REFRESH_ALLOWANCE_S) extendTickets(ctx, t);
}

/** Resuming: extend the tickets, or add them again (same id, so the URLs do not change) when gone. */
export function ensureTickets(ctx: EngineContext, t: TransferRecord): void {
  if (ctx.daemon.tickets.get(t.ticketId)) {
    extendTickets(ctx, t);
    if (!ctx.proxy.tickets.get(t.ticketId)) {
      const d = ctx.daemon.tickets.get(t.ticketId)!;
      ctx.proxy.tickets.add({ uuid: d.uuid, size: d.size, ops: d.ops, timeout: d.timeout, url: ctx.daemon.imageUrl(t.ticketId), transfer_id: t.id, sparse: d.sparse, dirty: d.dirty });
    }
  } else {
    addTickets(ctx, t);
  }
  t.sessionStartedAt = ctx.daemon.tickets.clock();
}
