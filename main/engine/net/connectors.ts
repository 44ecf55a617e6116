/**
 * undici `connect` functions over the CONNECT tunnel of tunnel.ts: for the engine's REST Agent and
 * for an undici Client of the data plane (DISKFERRY_RANGED_GETS=undici). Apart from tunnel.ts so
 * that the data plane, which never needs undici otherwise, does not load it (docs/benchmarks.md).
 */
import type { ConnectionOptions } from 'node:tls';
import { buildConnector } from 'undici';
import { asError } from '../errors.js';
import type { ProxyResolver } from './proxy.js';
import { openTunnel } from './tunnel.js';

/**
 * An undici `connect` function that tunnels through `proxy` and then starts TLS with `tls` inside
 * the tunnel, through undici's own connector (its servername rules and session cache). Plain
 * `http:` origins get the tunnel itself.
 */
export function proxiedConnector(tls: ConnectionOptions, proxy: URL, connectMs: number): buildConnector.connector {
  const secure = buildConnector({ ...tls, timeout: connectMs } as buildConnector.BuildOptions);
  return (opts, callback) => {
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    const host = opts.hostname.startsWith('[') ? opts.hostname.slice(1, -1) : opts.hostname;
    openTunnel(proxy, host, port, { timeoutMs: connectMs }).then(
      (socket) => (opts.protocol === 'https:' ? secure({ ...opts, httpSocket: socket }, callback) : callback(null, socket)),
      (err: Error) => callback(err, null),
    );
  };
}

/**
 * An undici `connect` function that asks `resolve` for each new connection whether to go through a
 * proxy (for a long-lived Agent whose proxy settings may change while it lives).
 */
export function routedConnector(tls: ConnectionOptions, resolve: ProxyResolver, connectMs: number): buildConnector.connector {
  const direct = buildConnector({ ...tls, timeout: connectMs } as buildConnector.BuildOptions);
  const viaProxy = new Map<string, buildConnector.connector>();
  const through = (proxy: URL) => {
    let c = viaProxy.get(proxy.href);
    if (!c) viaProxy.set(proxy.href, (c = proxiedConnector(tls, proxy, connectMs)));
    return c;
  };
  return (opts, callback) => {
    let target: URL;
    try {
      target = new URL(`${opts.protocol}//${opts.host ?? `${opts.hostname}:${opts.port}`}`);
    } catch (err) {
      callback(asError(err), null);
      return;
    }
    Promise.resolve()
      .then(() => resolve(target))
      .then(
        (proxy) => (proxy ? through(proxy)(opts, callback) : direct(opts, callback)),
        (err: Error) => callback(err, null),
      );
  };
}
