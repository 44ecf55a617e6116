/**
 * The simulator's own endpoint for out-of-process tests (no auth, loopback only):
 * GET/PUT /ovirt-engine/__simulator/faults, GET /ovirt-engine/__simulator/state, and POST
 * /ovirt-engine/__simulator/{vms,vm-status,guest-write} (VMs and guest writes, see guest.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyFaults } from '../faults.js';
import type { EngineContext } from './context.js';
import { ApiError, readJsonObject, sendJson, sendText } from './http-util.js';
import { hasTicket } from './json.js';
import { vmControls } from './guest.js';
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

/**
 * POST vms `{name, status?, disks?}`, vm-status `{vm, status}`, guest-write `{disk, offset, data}`
 * (data in base64) or `{disk, offset, length, zero: true}`: the VM controls for other processes.
 */
async function vmAction(ctx: EngineContext, what: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const controls = vmControls(ctx);
  try {
    if (what === 'vms') {
      const vm = controls.create({ name: String(body['name'] ?? ''), status: body['status'] === 'up' ? 'up' : 'down', disks: Array.isArray(body['disks']) ? body['disks'].map(String) : [] });
      return { id: vm.id, name: vm.name, status: vm.status };
    }
    if (what === 'vm-status') {
      const status = body['status'];
      if (status !== 'up' && status !== 'down' && status !== 'paused') throw new Error("status must be 'up', 'down' or 'paused'");
      const vm = controls.setStatus(String(body['vm'] ?? ''), status);
      return { id: vm.id, name: vm.name, status: vm.status };
    }
    const offset = Number(body['offset']);
    if (body['zero'] === true) await controls.zero(String(body['disk'] ?? ''), offset, Number(body['length']));
    else await controls.write(String(body['disk'] ?? ''), offset, Buffer.from(String(body['data'] ?? ''), 'base64'));
    return { written: true };
  } catch (err) {
    throw new ApiError(400, { reason: 'Invalid request', detail: errorMessage(err) });
  }
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
  if (req.method === 'POST' && (rest === 'vms' || rest === 'vm-status' || rest === 'guest-write')) return sendJson(res, 200, await vmAction(ctx, rest, await readJsonObject(req)));
  if (rest === 'faults' || rest === 'state') return sendText(res, 405, 'text/plain', 'Method not allowed\n');
  return sendText(res, 404, 'text/plain', 'Not found\n');
}
