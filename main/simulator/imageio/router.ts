import type { Exchange, ImageioPersonality } from './context.js';
import { getAlgorithms, getChecksum } from './checksum-handler.js';
import { getExtents } from './extents-handler.js';
import { HttpError } from './http-errors.js';
import { IMAGEIO_VERSION } from './http-response.js';
import { allowCors } from './exchange-io.js';
import { optionsImage, patchImage } from './images-control.js';
import { getImage, putImage } from './images-transfer.js';
import { pyRepr } from './python-format.js';

/** A request handler; extra arguments are the route's regex groups. */
export type HandlerFn = (ex: Exchange, ...groups: string[]) => Promise<void>;

/** Handlers by lower-case method name, like imageio's handler classes. */
export type Handler = Partial<Record<'get' | 'put' | 'patch' | 'post' | 'delete' | 'options' | 'head', HandlerFn>>;

/** A route: a regex matched at the start of the decoded path (Python's re.match). */
export interface Route {
  readonly pattern: RegExp;
  readonly handler: Handler;
}

const ALLOWED_METHODS = new Set(['GET', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'HEAD']);

/** Router.dispatch: invalid method 405, missing handler method 405, no route 404. */
export async function dispatch(routes: readonly Route[], ex: Exchange): Promise<void> {
  const { method, path } = ex.req;
  if (!ALLOWED_METHODS.has(method)) throw new HttpError(405, `Invalid method ${pyRepr(method)}`);
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    const fn = route.handler[method.toLowerCase() as keyof Handler];
    if (!fn) throw new HttpError(405, `Method ${pyRepr(method)} not defined for ${pyRepr(path)}`);
    return fn(ex, ...m.slice(1).map((g) => g ?? ''));
  }
  throw new HttpError(404, `No handler for ${pyRepr(path)}`);
}

async function getInfo(ex: Exchange): Promise<void> {
  allowCors(ex);
  await ex.res.sendJson({ version: IMAGEIO_VERSION });
}

/**
 * The pre-2.0.4 proxy authorized by the signed ticket in `Authorization` unless it already held the
 * ticket; failures are 401 before anything else is looked at.
 */
function requireSignedTicket(fn: HandlerFn): HandlerFn {
  return async (ex, id = '', ...rest) => {
    const check = ex.server.personality.signedTicket;
    if (check && id && id !== '*' && !ex.server.signedTickets.has(id)) {
      const authorization = ex.req.headers.get('authorization');
      if (authorization === undefined) throw new HttpError(401, "Not authorized (Ticket doesn't exists)");
      if (!check(authorization, id)) throw new HttpError(401, 'Not authorized (Invalid ovirt ticket)');
      ex.server.signedTickets.add(id);
    }
    return fn(ex, id, ...rest);
  };
}

function guard(handler: Handler): Handler {
  const out: Handler = {};
  for (const [name, fn] of Object.entries(handler) as Array<[keyof Handler, HandlerFn]>) out[name] = requireSignedTicket(fn);
  return out;
}

/**
 * The remote service routes (services.py). Old servers (legacy OPTIONS) had neither extents nor
 * checksum, so those paths fall through to /images/(.*) with an odd ticket id, as they really did.
 */
export function imageioRoutes(personality: ImageioPersonality): Route[] {
  const modern = personality.legacyOptions === null;
  const images: Handler = { get: getImage, put: putImage, patch: patchImage };
  if (personality.legacyOptions !== 405) images.options = optionsImage;
  const routes: Route[] = [];
  if (modern) routes.push({ pattern: /^\/images\/(.*)\/extents/, handler: guard({ get: getExtents }) });
  if (modern && personality.checksum) {
    routes.push({ pattern: /^\/images\/(.*)\/checksum\/algorithms/, handler: { get: getAlgorithms } });
    routes.push({ pattern: /^\/images\/(.*)\/checksum/, handler: guard({ get: getChecksum }) });
  }
  routes.push({ pattern: /^\/images\/(.*)/, handler: guard(images) });
  routes.push({ pattern: /^\/info\//, handler: { get: getInfo } });
  return routes;
}
