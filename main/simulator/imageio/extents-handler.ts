import { UnsupportedOperation } from './backends.js';
import type { Exchange } from './context.js';
import { HttpError } from './http-errors.js';
import { openSessionOrDeny, type Session } from './session.js';
import { validateEnum } from './validate.js';

type Context = 'zero' | 'dirty';

function backendExtents(session: Session, context: Context): unknown[] {
  return context === 'zero' ? session.backend.zeroExtents() : session.backend.dirtyExtents();
}

/**
 * What a proxy gets from its daemon: the daemon's own dirty checks, and a daemon 404 wrapped the way
 * backends/http.py does (`Server does not support dirty extents: b'<daemon message>\n'`).
 */
function proxiedExtents(session: Session, context: Context, daemonHasExtents: boolean): unknown[] {
  const cached = session.binding.extents.get(context);
  if (cached) return cached;
  let daemonError: string | null = null;
  let list: unknown[] = [];
  if (context === 'dirty' && !session.upstream?.dirty) daemonError = 'Ticket does not support dirty extents';
  else if (!daemonHasExtents && context === 'zero') {
    // A daemon without the extents feature: backends/http.py fakes one data extent, sized by a GET
    // without Range (the smaller of the daemon ticket and its image).
    const size = Math.min(session.upstream?.size ?? Infinity, session.backend.size());
    list = size > 0 ? [{ start: 0, length: size, zero: false, hole: false }] : [];
  } else {
    try {
      list = backendExtents(session, context);
    } catch (e) {
      if (!(e instanceof UnsupportedOperation)) throw e;
      daemonError = e.message;
    }
  }
  if (daemonError !== null) throw new UnsupportedOperation(`Server does not support ${context} extents: b'${daemonError}\\n'`);
  // The proxy caches per client connection and never invalidates: later writes do not show.
  session.binding.extents.set(context, list);
  return list;
}

/** GET /images/{id}/extents?context=zero|dirty: the whole image in one merged array; never touches the ticket. */
export async function getExtents(ex: Exchange, id: string): Promise<void> {
  if (!id) throw new HttpError(400, 'Ticket id is required');
  const session = openSessionOrDeny(ex, id, 'read');
  const context = validateEnum(ex.req.query, 'context', ['zero', 'dirty'], 'zero');
  if (context === 'dirty' && !session.ticket.dirty) throw new HttpError(404, 'Ticket does not support dirty extents');
  let list: unknown[];
  try {
    const daemonHasExtents = ex.server.upstream?.personality.legacyOptions === null;
    list = session.upstream ? proxiedExtents(session, context, daemonHasExtents) : backendExtents(session, context);
  } catch (e) {
    if (e instanceof UnsupportedOperation) throw new HttpError(404, e.message);
    throw e;
  }
  await ex.res.sendJson(list);
}
