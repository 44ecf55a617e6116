/**
 * The simulated oVirt engine: SSO, pki-resource and the REST API for storage domains, disks and image
 * transfers over HTTPS on 127.0.0.1 (or ::1), with the phase poller and the engine-side faults
 * (protocol.md §1–§2, reference/engine.md). Tickets go to the imageio daemon and proxy it is given.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { urlHost, type LoopbackHost } from '../loopback.js';
import type { ImageStore } from '../image-store.js';
import type { FaultSettings } from '../faults.js';
import { engineTiming, type EngineContext, type ImageioEndpoint } from './context.js';
import { emptyState, type EngineState, type EngineVersion } from './model.js';
import { handleRequest } from './router.js';
import { seedDataCenter, seedDisks, seedInventory } from './seed.js';
import { Timers } from './timers.js';
import { vmControls, type VmControls } from './guest.js';
import { publishSecret } from '../secret-channel.js';

// Re-exports: the model type for tests, the seed oracle, and the 4.1 proxy's signed-ticket check.
export type { EngineState, EngineVersion } from './model.js';
export type { ImageioEndpoint } from './context.js';
export type { VmControls } from './guest.js';
export { SEED_DISKS, seedDiskBytes, seedDiskRuns, seedId } from './seed.js';
export { signedTicketVerifier, verifySignedTicket } from './signed-ticket.js';

/** How to start the engine. */
export interface EngineServerOptions {
  /** Port on `host`; 0 or absent picks a free one. */
  port?: number;
  /** The loopback address to listen on: `127.0.0.1` (default) or `::1`. */
  host?: LoopbackHost;
  tls: { key: string; cert: string };
  /** The engine CA served by pki-resource. */
  caPem: string;
  version: EngineVersion;
  /** Fast mode: a 25 ms phase poller and 40 ms disk locks; else 1→2→4→8→10 s and ~2 s, like the real engine. */
  fast: boolean;
  /** The one account, `user@profile`. */
  username: string;
  password: string;
  images: ImageStore;
  /** The host imageio daemon (transfer_url) and the engine-side proxy (proxy_url). */
  daemon: ImageioEndpoint;
  proxy: ImageioEndpoint;
  faults: FaultSettings;
  /** Epoch ms, injectable (token idle-out, 4.1 extend deadline, finished-row retention). */
  now?: () => number;
  /** Seed the disks (default true). Storage domains, the data center and the host are always there. */
  seed?: boolean;
}

/** A running engine. */
export interface EngineServer {
  /** `https://127.0.0.1:PORT/ovirt-engine` (`https://[::1]:PORT/…` on IPv6). */
  readonly url: string;
  readonly port: number;
  /** The live model, for tests. */
  readonly state: EngineState;
  /** Make, start and stop VMs, and write into their disks as their guests would. */
  readonly vms: VmControls;
  /** Requests answered so far, by method and path without the query (`GET /ovirt-engine/api/vms`): what tests count round trips by. */
  readonly requestCounts: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

/** A loopback port nobody listens on (bound, then released), for the transferUrlUnreachable fault. */
async function closedPort(host: LoopbackHost): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts the engine on 127.0.0.1 (or ::1). */
export async function startEngineServer(o: EngineServerOptions): Promise<EngineServer> {
  publishSecret('password', o.password);
  publishSecret('basic-credentials', Buffer.from(`${o.username}:${o.password}`, 'utf8').toString('base64'));
  const state = emptyState(o.version, seedDataCenter());
  const timers = new Timers();
  const ctx: EngineContext = {
    state,
    version: o.version,
    timing: engineTiming(o.fast),
    now: o.now ?? Date.now,
    images: o.images,
    daemon: o.daemon,
    proxy: o.proxy,
    faults: o.faults,
    signingKey: o.tls.key,
    certPem: o.tls.cert,
    caPem: o.caPem,
    username: o.username,
    password: o.password,
    timers,
    urlHost: urlHost(o.host ?? '127.0.0.1'),
    unreachablePort: await closedPort(o.host ?? '127.0.0.1'),
  };
  seedInventory(ctx);
  if (o.seed !== false) await seedDisks(ctx);

  const requestCounts = new Map<string, number>();
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const key = `${req.method ?? ''} ${(req.url ?? '').split('?')[0]}`;
    requestCounts.set(key, (requestCounts.get(key) ?? 0) + 1);
    handleRequest(ctx, req, res).catch(() => res.destroy());
  };
  const server = createHttpsServer({ key: o.tls.key, cert: o.tls.cert }, onRequest);
  // Node answers 417 to any Expect but 100-continue unless told otherwise; the engine reads Expect: 201-created.
  server.on('checkExpectation', onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  let closed = false;
  return {
    url: `https://${ctx.urlHost}:${port}/ovirt-engine`,
    port,
    state,
    vms: vmControls(ctx),
    requestCounts,
    async close() {
      if (closed) return;
      closed = true;
      timers.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
