import type { FaultSettings } from '../faults.js';
import type { ImageStore } from '../image-store.js';
import type { BufferPool } from './buffer-pool.js';
import type { HttpConnection } from './http-connection.js';
import type { Request } from './http-request.js';
import type { Response } from './http-response.js';
import type { Throttle } from './throttle.js';
import type { Ticket, TicketStore } from './tickets.js';

/** How an imageio server of a given age behaves where versions differ. */
export interface ImageioPersonality {
  /** OPTIONS answer of an old daemon (405) or old proxy (204); null = modern imageio 2.5. */
  legacyOptions: 405 | 204 | null;
  /** Offer /checksum and the "checksum" feature (imageio >= 2.0). */
  checksum: boolean;
  /** Include max_readers/max_writers in OPTIONS (imageio >= 2.x); absent => clients use 1. */
  maxConnections: boolean;
  /** 4.1 legacy proxy: requests without a valid Authorization signed ticket get 401 "Not authorized (...)". */
  signedTicket: ((authorization: string | undefined, ticketId: string) => boolean) | null;
}

/** ovirt-imageio 2.5: modern OPTIONS, checksum, max_* fields, no signed tickets. */
export const MODERN_IMAGEIO: ImageioPersonality = Object.freeze({
  legacyOptions: null,
  checksum: true,
  maxConnections: true,
  signedTicket: null,
});

/** Real-time lengths, scalable so tests can run idle timeouts in milliseconds. */
export interface ImageioTiming {
  /** Real milliseconds per protocol second, for socket idle timeouts (60 s before auth, inactivity_timeout after). */
  secondMs: number;
  /** How long a closing connection keeps discarding an unread body before it is destroyed. */
  lingerMs: number;
  /** Control API DELETE waits this many protocol seconds for in-flight operations, then answers 409. */
  removeTimeoutSeconds: number;
}

/** The defaults of a real daemon. */
export const DEFAULT_TIMING: ImageioTiming = Object.freeze({ secondMs: 1000, lingerMs: 2000, removeTimeoutSeconds: 60 });

/** Everything a handler may need about its server. */
export interface ServerContext {
  readonly role: 'daemon' | 'proxy';
  readonly personality: ImageioPersonality;
  readonly tickets: TicketStore;
  readonly images: ImageStore;
  readonly faults: FaultSettings;
  readonly pool: BufferPool;
  readonly timing: ImageioTiming;
  /** Proxy: the internals of the host daemon it forwards to. */
  readonly upstream: ServerContext | null;
  /** Legacy proxy: ticket ids already authorized by a signed ticket (its ticket store). */
  readonly signedTickets: Set<string>;
  /** The last internal error masked as 500, for debugging tests. */
  lastError: unknown;
  /** The latest requests' starts and ends, in order (see RequestLog). */
  readonly requestLog: RequestLog;
}

/** What a logged request asked for: never its path, which holds the ticket. */
export type RequestKind = 'checksum' | 'extents' | 'data' | 'other';

/** A request's start or end in the log. */
export interface RequestEvent {
  readonly method: string;
  readonly kind: RequestKind;
  readonly at: 'start' | 'end';
}

/**
 * The starts and ends of the latest requests, in the order they happened (the last 1,000 events: a
 * demo engine runs for days). Tests read the order of work that overlaps: a checksum asked for while
 * the data still moves, say.
 */
export class RequestLog {
  private static readonly LIMIT = 1000;
  private readonly list: RequestEvent[] = [];

  record(method: string, path: string, at: 'start' | 'end'): void {
    const kind: RequestKind = /\/checksum(\/|$)/.test(path) ? 'checksum' : /\/extents$/.test(path) ? 'extents' : /^\/images\/[^/]+$/.test(path) ? 'data' : 'other';
    this.list.push({ method, kind, at });
    if (this.list.length > RequestLog.LIMIT) this.list.splice(0, this.list.length - RequestLog.LIMIT);
  }

  /** The events so far, oldest first. */
  events(): readonly RequestEvent[] {
    return [...this.list];
  }
}

/** Per-connection state for one ticket (imageio's backend context cached on the connection). */
export interface Binding {
  /** Proxy: the daemon ticket this connection also holds. */
  upstream: Ticket | null;
  /** Proxy: extents cached per context and never invalidated, like backends/http.py. */
  readonly extents: Map<string, unknown[]>;
}

/** One client connection with its ticket bindings and pacing. */
export interface ConnectionState {
  readonly conn: HttpConnection;
  readonly bindings: Map<Ticket, Binding>;
  readonly throttle: Throttle;
}

/** One request being served. */
export interface Exchange {
  readonly server: ServerContext;
  readonly connection: ConnectionState;
  readonly req: Request;
  readonly res: Response;
}
