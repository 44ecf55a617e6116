import { openBackend, type Backend } from './backends.js';
import type { Binding, Exchange } from './context.js';
import { AuthorizationError, HttpError, SERVER_FAILED } from './http-errors.js';
import type { Ticket, TicketOperation, TicketStore } from './tickets.js';

/** The operation a request needs the ticket to allow. */
export type TicketOp = 'read' | 'write';

/** auth.py::Authorizer.authorize: unknown, then canceled, then expired, then the op. */
function authorize(store: TicketStore, id: string, op: TicketOp): Ticket {
  const ticket = store.get(id);
  if (!ticket) throw new AuthorizationError(`No such ticket ${id}`);
  if (ticket.canceled) throw new AuthorizationError(`Transfer=${ticket.transferId} was canceled`);
  if (ticket.expired()) throw new AuthorizationError(`Transfer=${ticket.transferId} expired`);
  if (!ticket.may(op)) throw new AuthorizationError(`Transfer=${ticket.transferId} forbids ${op}`);
  return ticket;
}

/** An authorized request: its ticket, the daemon ticket behind a proxy, and the backend to use. */
export interface Session {
  readonly ticket: Ticket;
  readonly upstream: Ticket | null;
  readonly backend: Backend;
  readonly binding: Binding;
  readonly maxReaders: number;
  readonly maxWriters: number;
}

/** backends.get: the first authorized request binds the ticket to the connection and raises its idle timeout. */
function bind(ex: Exchange, ticket: Ticket): Binding {
  const { connection, server } = ex;
  const existing = connection.bindings.get(ticket);
  if (existing) return existing;
  if (ticket.canceled) throw new AuthorizationError(`Transfer ${ticket.transferId} was canceled`);
  const binding: Binding = { upstream: null, extents: new Map() };
  connection.bindings.set(ticket, binding);
  ticket.connections += 1;
  connection.conn.setIdleTimeout(ticket.inactivityTimeout * server.timing.secondMs);
  return binding;
}

function daemonTicketId(url: string, fallback: string): string {
  const m = /\/images\/([^/?#]+)/.exec(url);
  if (!m) return fallback;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return m[1]!;
  }
}

/**
 * Authorizes a request and opens its backend. Throws AuthorizationError for this server's own ticket
 * (the handler decides about closing) and HttpError 403 for a daemon refusal relayed by a proxy.
 */
export function openSession(ex: Exchange, id: string, op: TicketOp): Session {
  const { server } = ex;
  const daemon = server.upstream;
  // A legacy proxy that learned the ticket from a signed ticket has none of its own: the daemon decides.
  const viaSignedTicket = daemon !== null && !server.tickets.get(id) && server.signedTickets.has(id);
  const ticket = authorize(viaSignedTicket ? daemon.tickets : server.tickets, id, op);
  const binding = bind(ex, ticket);
  if (!ticket.url.startsWith('https:')) {
    const backend = openBackend(ticket.url, viaSignedTicket ? daemon.images : server.images);
    return { ticket, upstream: null, backend, binding, maxReaders: backend.maxReaders, maxWriters: backend.maxWriters };
  }
  // Proxy: serve in process with the daemon ticket's backend, as if forwarded to ticket.url.
  if (!daemon) throw new HttpError(500, SERVER_FAILED);
  let upstream: Ticket;
  try {
    upstream = authorize(daemon.tickets, daemonTicketId(ticket.url, id), op);
  } catch (e) {
    if (e instanceof AuthorizationError) throw new HttpError(403, e.message);
    throw e;
  }
  if (binding.upstream !== upstream) {
    // The proxy's own daemon connection opens with OPTIONS, which counts as activity on the daemon.
    if (binding.upstream) binding.upstream.connections -= 1;
    upstream.connections += 1;
    upstream.touch();
    binding.upstream = upstream;
  }
  const backend = openBackend(upstream.url, daemon.images);
  // backends/http.py: a daemon that does not publish max_* is assumed to allow 1.
  const relay = daemon.personality.maxConnections && daemon.personality.legacyOptions === null;
  return {
    ticket,
    upstream,
    backend,
    binding,
    maxReaders: relay ? backend.maxReaders : 1,
    maxWriters: relay ? backend.maxWriters : 1,
  };
}

/** openSession for the usual handlers: an own-ticket refusal is 403 and, by default, closes the connection. */
export function openSessionOrDeny(ex: Exchange, id: string, op: TicketOp, closeOnDeny = true): Session {
  try {
    return openSession(ex, id, op);
  } catch (e) {
    if (e instanceof AuthorizationError) {
      if (closeOnDeny) ex.res.closeConnection();
      throw new HttpError(403, e.message);
    }
    throw e;
  }
}

/** Thrown by an operation that noticed its cancellation at a buffer boundary. */
export class OperationCanceled extends Error {}

/** One running ticket operation (Ticket.run): progress for `transferred`, cancellation from TicketStore.remove. */
export class OperationRun {
  canceled = false;
  private readonly entries: Array<{ ticket: Ticket; op: TicketOperation }> = [];

  constructor(session: Session, offset: number) {
    const cancel = (): void => {
      this.canceled = true;
    };
    for (const ticket of [session.ticket, session.upstream]) {
      if (ticket) this.entries.push({ ticket, op: ticket.begin(offset, cancel) });
    }
  }

  /** Bytes done so far. */
  get done(): number {
    return this.entries[0]?.op.done ?? 0;
  }

  /** Records n more bytes done on every ticket involved. */
  advance(n: number): void {
    for (const e of this.entries) e.op.done += n;
  }

  /** Ends the operation (touching the tickets); a canceled ticket turns any outcome into 403. */
  finish(): void {
    for (const e of this.entries) e.ticket.end(e.op);
    const canceled = this.entries.find((e) => e.ticket.canceled)?.ticket ?? (this.canceled ? this.entries[0]?.ticket : undefined);
    if (canceled) throw new AuthorizationError(`Transfer ${canceled.transferId} was canceled`);
  }
}

/** Ticket.run: runs fn as a ticket operation; cancellation becomes 403 with `connection: close`. */
export async function runOperation<T>(ex: Exchange, session: Session, offset: number, fn: (run: OperationRun) => Promise<T>): Promise<T> {
  const run = new OperationRun(session, offset);
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await fn(run) };
  } catch (error) {
    outcome = { ok: false, error };
  }
  try {
    run.finish();
  } catch (e) {
    if (!(e instanceof AuthorizationError)) throw e;
    ex.res.closeConnection();
    throw new HttpError(403, e.message);
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
