/**
 * The simulator's own endpoint for out-of-process tests (no auth, loopback only):
 * GET/PUT /ovirt-engine/__simulator/faults and GET /ovirt-engine/__simulator/state.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyFaults } from '../faults.js';
import type { EngineContext } from './context.js';
import { ApiError, readJsonObject, sendJson, sendText } from './http-util.js';
import { hasTicket } from './json.js';
import { errorMessage } from '../../engine/errors.js';

/** A summary of the model for assertions from another process. */
function stateSummary(ctx: EngineContext): Record<string, unknown> {
  return {
    version: ctx.version,
    disks: [...ctx.state.disks.values()].map((d) => ({
      id: d.id,
      name: d.name,
      status: d.status,
      format: d.format,
      sparse: d.sparse,
      provisioned_size: d.provisionedSize,
      storage_domain: ctx.state.storageDomains.get(d.storageDomainId)?.name ?? null,
    })),
    transfers: [...ctx.state.transfers.values()].map((t) => ({
      id: t.id,
      disk_id: t.diskId,
      direction: t.direction,
      phase: t.phase,
      backend: t.backend,
      ticket_size: t.ticketSize,
      has_ticket: hasTicket(ctx, t),
    })),
    sessions: ctx.state.tokens.size,
  };
}

function isLoopback(req: IncomingMessage): boolean {
  const a = req.socket.remoteAddress ?? '';
  return a === '127.0.0.1' || a === '::1' || a === '::ffff:127.0.0.1';
}

/** Handles /ovirt-engine/__simulator/{faults,state}; `rest` is the path after `__simulator/`. */
export async function handleAdmin(ctx: EngineContext, req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
  if (!isLoopback(req)) return sendText(res, 403, 'text/plain', 'Forbidden\n');
  if (rest === 'faults' && req.method === 'GET') return sendJson(res, 200, ctx.faults);
  if (rest === 'faults' && req.method === 'PUT') {
    const patch = await readJsonObject(req);
    try {
      applyFaults(ctx.faults, patch);
    } catch (err) {
      throw new ApiError(400, { reason: 'Invalid fault', detail: errorMessage(err) });
    }
    return sendJson(res, 200, ctx.faults);
  }
  if (rest === 'state' && req.method === 'GET') return sendJson(res, 200, stateSummary(ctx));
  if (rest === 'faults' || rest === 'state') return sendText(res, 405, 'text/plain', 'Method not allowed\n');
  return sendText(res, 404, 'text/plain', 'Not found\n');
}
