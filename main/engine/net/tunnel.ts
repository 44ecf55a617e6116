/**
 * A CONNECT tunnel through an HTTP proxy (undici's connectors that use it: connectors.ts). The TLS session runs
 * inside the tunnel end to end with the server, with the same options as a direct connection: the
 * engine CA (pinned), the host name check and SNI (never sent for an IP address) are those of the
 * server, and the proxy sees only the host and port it is asked to connect to.
 *
 * One tunnel serves undici (the engine REST client, the imageio Client) and the SocketDispatcher of
 * ranged GETs alike. undici's ProxyAgent was not used: it reports a refused tunnel (502) as
 * `RequestAbortedError`, which reads as a cancel, and a 407 as an invalid argument; errors here name
 * the proxy and say what to do.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { DiskFerryError, errorCode, errorMessage } from '../errors.js';
import { bareHost, describeProxy, portOf } from './proxy.js';

/** The proxy's answer head is a few hundred bytes; more is not an HTTP proxy. */
const MAX_HEAD_BYTES = 16 * 1024;

const PROXY_HINT = "Check the proxy address (the engine's proxy setting in DiskFerry, or HTTPS_PROXY for the command line), or bypass it (\"No proxy\", or NO_PROXY) when the server is reachable directly.";

/** `host:port` as a CONNECT request names it (an IPv6 address in brackets). */
function authority(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** The error for a proxy that could not be used; never the proxy's credentials. */
function proxyError(proxy: URL, target: string, why: string, options: { retryable: boolean; status?: number; cause?: unknown; code?: 'network' | 'protocol' }): DiskFerryError {
  return new DiskFerryError(options.code ?? 'network', `Could not reach ${target} through the proxy ${describeProxy(proxy)}: ${why}. ${PROXY_HINT}`, {
    retryable: options.retryable,
    ...(options.status !== undefined ? { status: options.status } : {}),
    ...(options.cause !== undefined ? { cause: options.cause } : {}),
  });
}

/** What a refusing proxy's status means to the user. */
function refusal(status: number, reason: string): { why: string; retryable: boolean } {
  const answer = `it answered HTTP ${status}${reason ? ` ${reason}` : ''}`;
  if (status === 407) return { why: `${answer}: it wants a user name and password, given in its address (http://user:password@proxy:3128)`, retryable: false };
  if (status === 502 || status === 503 || status === 504) return { why: `${answer}: it could not connect to that host and port`, retryable: true };
  if (status === 403) return { why: `${answer}: it does not allow tunnels to that host and port`, retryable: false };
  return { why: answer, retryable: false };
}

/**
 * Connects to `proxy` and asks it to CONNECT to `host:port` (`host` without brackets); resolves with
 * the socket, now a byte stream to the server, once the proxy answered 2xx. Credentials in the proxy
 * URL are sent as Basic `Proxy-Authorization`.
 */
export function openTunnel(proxy: URL, host: string, port: number, o: { timeoutMs: number; signal?: AbortSignal }): Promise<Socket> {
  const target = authority(host, port);
  let request = `CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n`;
  if (proxy.username) {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    request += `proxy-authorization: Basic ${Buffer.from(credentials).toString('base64')}\r\n`;
  }
  request += '\r\n';
  return new Promise<Socket>((resolve, reject) => {
    const socket = netConnect({ host: bareHost(proxy), port: portOf(proxy), noDelay: true });
    let head = Buffer.alloc(0);
    let settled = false;
    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      socket.off('data', onData).off('error', onError).off('close', onClose).off('connect', onConnect);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        socket.pause();
        resolve(socket);
      }
    };
    const onConnect = () => socket.write(request);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_HEAD_BYTES) finish(proxyError(proxy, target, 'its answer to CONNECT is not HTTP', { retryable: false, code: 'protocol' }));
        return;
      }
      const m = /^HTTP\/1\.[01] (\d{3})(?: ([^\r\n]*))?\r\n/.exec(head.subarray(0, end + 2).toString('latin1'));
      if (!m) return finish(proxyError(proxy, target, 'its answer to CONNECT is not HTTP', { retryable: false, code: 'protocol' }));
      const status = Number(m[1]);
      const reason = (m[2] ?? '').replace(/[^\x20-\x7e]/g, '').slice(0, 80).trim();
      if (status < 200 || status > 299) {
        const { why, retryable } = refusal(status, reason);
        return finish(proxyError(proxy, target, why, { retryable, status }));
      }
      // The server speaks only after our TLS hello: bytes here would come from the proxy, out of step.
      if (head.length > end + 4) return finish(proxyError(proxy, target, 'it sent data before the tunnel was used', { retryable: false, code: 'protocol' }));
      finish(null);
    };
    const onError = (err: Error) => {
      const code = errorCode(err);
      finish(proxyError(proxy, target, `the proxy itself could not be reached (${code ?? errorMessage(err)})`, { retryable: true, cause: err }));
    };
    const onClose = () => finish(proxyError(proxy, target, 'it closed the connection without answering CONNECT', { retryable: true }));
    const onAbort = () => finish(o.signal?.reason instanceof Error ? o.signal.reason : new Error('aborted'));
    const timer = setTimeout(() => finish(proxyError(proxy, target, `it did not answer within ${Math.round(o.timeoutMs / 1000)} s`, { retryable: true })), o.timeoutMs);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', onConnect).on('data', onData).once('error', onError).once('close', onClose);
  });
}
