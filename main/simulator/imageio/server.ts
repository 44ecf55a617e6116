/**
 * The simulated ovirt-imageio 2.5 data server (reference/imageio.md §11): a host daemon or an engine
 * proxy over HTTPS on 127.0.0.1, with an optional plain-HTTP control API. Written on raw sockets, not
 * node:http, so that headers, keep-alive, early closes and 100-continue behave byte for byte like
 * imageio's Python server.
 */
import { urlHost, type LoopbackHost } from '../loopback.js';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { FaultSettings } from '../faults.js';
import type { ImageStore } from '../image-store.js';
import { BufferPool } from './buffer-pool.js';
import { DEFAULT_TIMING, MODERN_IMAGEIO, RequestLog, type ImageioPersonality, type ImageioTiming, type ServerContext } from './context.js';
import { CONTROL_ROUTES } from './control-api.js';
import { HttpConnection } from './http-connection.js';
import { imageioRoutes, type Route } from './router.js';
import { serveConnection } from './serve.js';
import { defaultMonotonic, TicketStore, type MonotonicClock } from './tickets.js';

export { MODERN_IMAGEIO, DEFAULT_TIMING, type ImageioPersonality, type ImageioTiming } from './context.js';
export { IMAGEIO_VERSION } from './http-response.js';

/** imageio's default server buffer: the largest piece streamed per read or write. */
const BUFFER_SIZE = 8 * 1024 * 1024;

/** How to start one simulated ovirt-imageio server (host daemon or engine proxy). */
export interface ImageioServerOptions {
  role: 'daemon' | 'proxy';
  /** 0 / undefined = random. */
  port?: number;
  tls: { key: string; cert: string };
  images: ImageStore;
  /** Created if absent. */
  tickets?: TicketStore;
  /** Shared mutable object, read on every request. */
  faults: FaultSettings;
  /** Default MODERN_IMAGEIO. */
  personality?: ImageioPersonality;
  /** Proxy only: the host daemon it forwards to. */
  upstream?: ImageioServer;
  /** The loopback address to listen on: `127.0.0.1` (default) or `::1`. */
  host?: LoopbackHost;
  /** Optional plain-HTTP control API (/tickets/...) on `host`; null/undefined = none, 0 = random. */
  controlPort?: number | null;
  clock?: MonotonicClock;
  /** Real-time scale of idle timeouts and close lingering (tests shrink them). */
  timing?: Partial<ImageioTiming>;
  /** Largest piece per read/write; default 8 MiB. */
  bufferSize?: number;
}

/** A running simulated imageio server. */
export interface ImageioServer {
  readonly role: 'daemon' | 'proxy';
  readonly port: number;
  readonly controlPort: number | null;
  readonly tickets: TicketStore;
  readonly personality: ImageioPersonality;
  /** The latest requests' starts and ends, in order (kinds only, never a path). */
  readonly requestLog: RequestLog;
  /** `https://127.0.0.1:${port}/images/${ticketId}` (`https://[::1]:…` on IPv6) */
  imageUrl(ticketId: string): string;
  /** Closes listeners and destroys open sockets. */
  close(): Promise<void>;
}

/** Internals of running servers, so a proxy can serve from its daemon in process. */
const internals = new WeakMap<ImageioServer, ServerContext>();

interface Listener {
  readonly server: Server;
  readonly sockets: Set<Socket>;
  /** TCP connections that may not have reached `sockets` yet (TLS handshake in progress). */
  readonly raw: Set<Socket>;
  readonly port: number;
}

async function listen(server: Server, host: LoopbackHost, port: number, sockets: Set<Socket>, raw: Set<Socket> = new Set()): Promise<Listener> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Backlog 40 like imageio: "10 transfers x 4 connections".
    server.listen({ host, port, backlog: 40 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('imageio simulator: no TCP address');
  return { server, sockets, raw, port: address.port };
}

function accept(socket: Socket, sockets: Set<Socket>, ctx: ServerContext, routes: readonly Route[], withFaults: boolean): void {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  // disable_nagle_algorithm: small responses (PATCH, OPTIONS) must not wait for delayed ACKs.
  socket.setNoDelay(true);
  void serveConnection(new HttpConnection(socket, ctx.timing.lingerMs), ctx, routes, withFaults).catch((e: unknown) => {
    ctx.lastError = e;
    socket.destroy();
  });
}

async function closeListener(l: Listener): Promise<void> {
  const closed = new Promise<void>((resolve) => l.server.close(() => resolve()));
  for (const s of l.sockets) s.destroy();
  for (const s of l.raw) s.destroy();
  await closed;
}

/** Starts a daemon or proxy on 127.0.0.1 (or ::1) over TLS, plus its control API when asked. */
export async function startImageioServer(options: ImageioServerOptions): Promise<ImageioServer> {
  const personality = options.personality ?? MODERN_IMAGEIO;
  const tickets = options.tickets ?? new TicketStore(options.clock ?? defaultMonotonic);
  const upstream = options.upstream ? (internals.get(options.upstream) ?? null) : null;
  if (options.role === 'proxy' && !upstream) throw new Error('imageio simulator: a proxy needs a running upstream daemon');
  const ctx: ServerContext = {
    role: options.role,
    personality,
    tickets,
    images: options.images,
    faults: options.faults,
    pool: new BufferPool(options.bufferSize ?? BUFFER_SIZE),
    timing: { ...DEFAULT_TIMING, ...options.timing },
    upstream: options.role === 'proxy' ? upstream : null,
    signedTickets: new Set(),
    lastError: null,
    requestLog: new RequestLog(),
  };
  const routes = imageioRoutes(personality);
  const dataSockets = new Set<Socket>();
  const tlsServer = createTlsServer({ key: options.tls.key, cert: options.tls.cert, allowHalfOpen: true, noDelay: true }, (socket) =>
    accept(socket, dataSockets, ctx, routes, true),
  );
  tlsServer.on('tlsClientError', (_err, socket) => socket.destroy()); // a failed handshake only concerns that client: drop it so close() does not wait
  // Connections still in their TLS handshake are not in dataSockets yet; close() must end them too.
  const rawSockets = new Set<Socket>();
  tlsServer.on('connection', (raw: Socket) => {
    rawSockets.add(raw);
    raw.on('close', () => rawSockets.delete(raw));
  });
  const host = options.host ?? '127.0.0.1';
  const data = await listen(tlsServer, host, options.port ?? 0, dataSockets, rawSockets);

  let control: Listener | null = null;
  if (options.controlPort !== null && options.controlPort !== undefined) {
    const controlSockets = new Set<Socket>();
    const tcp = createTcpServer({ allowHalfOpen: true }, (socket) => accept(socket, controlSockets, ctx, CONTROL_ROUTES, false));
    control = await listen(tcp, host, options.controlPort, controlSockets);
  }

  const api: ImageioServer = {
    role: options.role,
    port: data.port,
    controlPort: control?.port ?? null,
    tickets,
    personality,
    requestLog: ctx.requestLog,
    imageUrl: (ticketId) => `https://${urlHost(host)}:${data.port}/images/${ticketId}`,
    close: async () => {
      await Promise.all([closeListener(data), control ? closeListener(control) : Promise.resolve()]);
    },
  };
  internals.set(api, ctx);
  return api;
}

