/**
 * A small HTTP CONNECT proxy for tests, on a loopback address: it opens real tunnels, counts them
 * (so a test shows the traffic went through it), and can refuse them the ways proxies do
 * (407 without the right credentials, 502 when it "cannot reach" the server, or a fixed status).
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';

/** One tunnel the proxy was asked for. */
export interface TunnelRecord {
  /** `host:port` as the CONNECT request named it. */
  readonly target: string;
  /** Whether it was opened (false: refused). */
  readonly opened: boolean;
  /** The `Proxy-Authorization` field, if any. */
  readonly authorization: string | null;
}

export interface ConnectProxyOptions {
  /** `127.0.0.1` (default) or `::1`. */
  readonly host?: string;
  /** `user:password` the proxy wants (407 without it). */
  readonly credentials?: string;
  /** Refuse every tunnel with this status (e.g. 502). */
  readonly refuseWith?: number;
  /** Where a CONNECT's host really goes (names the client cannot resolve itself). Default: as asked. */
  readonly route?: (host: string) => string;
}

export interface ConnectProxy {
  /** `http://127.0.0.1:PORT` (or `http://[::1]:PORT`). */
  readonly url: string;
  readonly port: number;
  readonly tunnels: TunnelRecord[];
  /** Tunnels that were opened. */
  opened(): number;
  /** Bytes carried from the servers to the clients, all tunnels together. */
  bytesDown(): number;
  close(): Promise<void>;
}

/** Starts the proxy. */
export async function startConnectProxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const host = options.host ?? '127.0.0.1';
  const tunnels: TunnelRecord[] = [];
  const sockets = new Set<Socket>();
  let down = 0;
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const server: Server = createServer((client) => {
    track(client);
    client.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      client.pause();
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const [method, target = ''] = lines[0]!.split(' ');
      const auth = lines.find((l) => /^proxy-authorization:/i.test(l))?.replace(/^[^:]+:\s*/, '') ?? null;
      const refuse = (status: number, reason: string) => {
        tunnels.push({ target, opened: false, authorization: auth });
        client.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-length: 0\r\n${status === 407 ? 'proxy-authenticate: Basic realm="test"\r\n' : ''}\r\n`);
      };
      if (method !== 'CONNECT') return refuse(405, 'Method Not Allowed');
      if (options.credentials && auth !== `Basic ${Buffer.from(options.credentials).toString('base64')}`) return refuse(407, 'Proxy Authentication Required');
      if (options.refuseWith) return refuse(options.refuseWith, options.refuseWith === 502 ? 'Bad Gateway' : 'Refused');
      const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
      if (!m) return refuse(400, 'Bad Request');
      const upstream = netConnect({ host: options.route ? options.route(m[1]!) : m[1]!, port: Number(m[2]) });
      track(upstream);
      upstream.once('error', () => {
        if (!client.destroyed && tunnels.at(-1)?.target !== target) refuse(502, 'Bad Gateway');
        client.destroy();
      });
      upstream.once('connect', () => {
        tunnels.push({ target, opened: true, authorization: auth });
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        const rest = head.subarray(end + 4);
        if (rest.length > 0) upstream.write(rest);
        upstream.on('data', (b: Buffer) => (down += b.length));
        upstream.pipe(client);
        client.pipe(upstream);
        client.resume();
        client.once('close', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
      });
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    tunnels,
    opened: () => tunnels.filter((t) => t.opened).length,
    bytesDown: () => down,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
