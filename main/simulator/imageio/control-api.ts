import { setTimeout as sleep } from 'node:timers/promises';
import type { Exchange } from './context.js';
import { readWholeBody } from './exchange-io.js';
import { HttpError } from './http-errors.js';
import { parseJsonBody } from './images-control.js';
import { pyRepr } from './python-format.js';
import type { Route } from './router.js';
import { parseTicketSpec, TicketError } from './tickets.js';
import { validateInteger } from './validate.js';
import { errorMessage } from '../../engine/errors.js';

async function readJson(ex: Exchange, prefix: string): Promise<unknown> {
  try {
    return parseJsonBody(await readWholeBody(ex));
  } catch (e) {
    throw new HttpError(400, `${prefix}${errorMessage(e)}`);
  }
}

/** GET /tickets/{id}: the ticket info JSON. */
async function getTicket(ex: Exchange, id: string): Promise<void> {
  if (!id) throw new HttpError(400, 'Ticket id is required');
  const ticket = ex.server.tickets.get(id);
  if (!ticket) throw new HttpError(404, `No such ticket ${pyRepr(id)}`);
  await ex.res.sendJson(ticket.info());
}

/** PUT /tickets/{id}: adds or replaces a ticket (the id in the URL is not compared with uuid). */
async function putTicket(ex: Exchange, id: string): Promise<void> {
  if (!id) throw new HttpError(400, 'Ticket id is required');
  const json = await readJson(ex, 'Ticket is not in a json format: ');
  try {
    ex.server.tickets.add(parseTicketSpec(json));
  } catch (e) {
    if (e instanceof TicketError) throw new HttpError(400, e.message);
    throw e;
  }
}

/** PATCH /tickets/{id} {"timeout": N}: sets expires = now + N, also on an expired ticket. */
async function patchTicket(ex: Exchange, id: string): Promise<void> {
  if (!id) throw new HttpError(400, 'Ticket id is required');
  const patch = await readJson(ex, 'Invalid patch: ');
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new TypeError('patch is not a JSON object');
  const timeout = validateInteger(patch as Record<string, unknown>, 'timeout', 0);
  if (!ex.server.tickets.extend(id, timeout)) throw new HttpError(404, `No such ticket: ${id}`);
}

/** DELETE /tickets/{id}: cancels, waits for in-flight operations (409 on timeout), 204; idempotent. */
async function deleteTicket(ex: Exchange, id: string): Promise<void> {
  const { tickets, timing } = ex.server;
  if (!id) tickets.clear();
  else {
    const ticket = tickets.get(id);
    if (ticket) {
      tickets.remove(id);
      const deadline = performance.now() + timing.removeTimeoutSeconds * timing.secondMs;
      while (ticket.active) {
        if (performance.now() >= deadline) throw new HttpError(409, `Timeout cancelling ticket ${id}`);
        await sleep(5);
      }
    }
  }
  ex.res.status = 204;
}

/** The routes of the control service. */
export const CONTROL_ROUTES: readonly Route[] = [
  { pattern: /^\/tickets\/(.*)/, handler: { get: getTicket, put: putTicket, patch: patchTicket, delete: deleteTicket } },
];
