import { Client } from 'undici';
import { proxiedConnector } from '../net/connectors.js';
import type { ConnectionDeps, ImageioEndpoint } from './connection.js';

/**
 * An undici Client for one imageio connection: carries the ranged GETs when the host asks for
 * undici (`DISKFERRY_RANGED_GETS=undici`, to compare or to rule our dispatcher out). Loaded only
 * then: undici and its WASM parser cost ~45 MiB of peak memory the data plane otherwise saves.
 */
export function undiciClient(endpoint: ImageioEndpoint, deps: ConnectionDeps): Client {
  return new Client(endpoint.origin, {
    pipelining: 1,
    keepAliveTimeout: deps.timeouts.idleMs,
    keepAliveMaxTimeout: deps.timeouts.idleMs,
    headersTimeout: deps.timeouts.readMs,
    bodyTimeout: deps.timeouts.readMs,
    // undici's connector always sets TCP_NODELAY, which imageio needs (Nagle costs ~40 ms per PATCH);
    // the tunnel's socket to the proxy sets it too.
    connect: endpoint.httpProxy ? proxiedConnector(deps.tls, endpoint.httpProxy, deps.timeouts.connectMs) : { ...deps.tls, timeout: deps.timeouts.connectMs },
  });
}
