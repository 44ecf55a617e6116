import type { Exchange } from './context.js';

/** Reads up to target.length bytes of the request body (never past Content-Length). */
export async function readBody(ex: Exchange, target: Buffer): Promise<number> {
  const want = Math.min(target.length, ex.req.remaining);
  if (want <= 0) return 0;
  const n = await ex.connection.conn.readInto(want === target.length ? target : target.subarray(0, want));
  ex.req.remaining -= n;
  return n;
}

/** Reads the whole (small) body: PATCH and control JSON. Without a usable Content-Length it is empty, as in imageio. */
export async function readWholeBody(ex: Exchange): Promise<Buffer> {
  const length = ex.req.remaining;
  if (!Number.isFinite(length) || length <= 0) return Buffer.alloc(0);
  const buf = Buffer.allocUnsafe(length);
  const n = await readBody(ex, buf);
  return buf.subarray(0, n);
}

/** cors.py::allow: headers only for the CORS request headers present; on success and on errors. */
export function allowCors(ex: Exchange, allowMethods = '*'): void {
  const { req, res } = ex;
  let modified = false;
  if (req.headers.get('origin')) {
    res.headers.set('access-control-allow-origin', '*');
    modified = true;
  }
  if (req.headers.get('access-control-request-headers')) {
    res.headers.set('access-control-allow-headers', '*');
    modified = true;
  }
  if (req.headers.get('access-control-request-method')) {
    res.headers.set('access-control-allow-methods', allowMethods);
    modified = true;
  }
  if (modified) res.headers.set('access-control-max-age', 86400);
}

/** The expireTicket fault: the next data request finds its ticket expired, once. */
export function expireTicketIfArmed(ex: Exchange, id: string): void {
  const { server } = ex;
  if (!server.faults.expireTicket) return;
  const ticket = server.tickets.get(id) ?? server.upstream?.tickets.get(id);
  if (!ticket) return;
  ticket.expires = server.tickets.clock();
  server.faults.expireTicket = false;
}

/** The dropAfterBytes fault: taken (and disarmed) by the next GET or PUT that streams a body. */
export function takeDropAfterBytes(ex: Exchange): number | null {
  const n = ex.server.faults.dropAfterBytes;
  if (n !== null) ex.server.faults.dropAfterBytes = null;
  return n;
}

/** A "fail the Nth request" fault: counts down per request of its kind; true for the one that must fail. */
function takeNth(ex: Exchange, fault: 'failNthPut' | 'failNthFlush'): boolean {
  const { faults } = ex.server;
  const n = faults[fault];
  if (n === null) return false;
  faults[fault] = n <= 1 ? null : n - 1;
  return n <= 1;
}

/** The failNthFlush fault, per PATCH flush. */
export function takeFailFlush(ex: Exchange): boolean {
  return takeNth(ex, 'failNthFlush');
}

/** The failNthPut fault, per PUT. */
export function takeFailPut(ex: Exchange): boolean {
  return takeNth(ex, 'failNthPut');
}
