/**
 * Hostile servers for the reliability matrix: the scripted raw HTTP server of the imageio tests
 * behind a TLS front whose certificate each case chooses (right CA, another CA, another name), and
 * a "canary" on another address that records every connection and request, so a test can prove
 * that a redirect was not followed and that no token, ticket or password reached it.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { startRawServer, type RawRequest } from '../engine/imageio/raw-server.js';
import { createPki, type KeyPair } from '../../main/simulator/pki.js';

export type { RawRequest } from '../engine/imageio/raw-server.js';

/** The certificates every hostile case picks from. */
export interface HostilePki {
  /** The CA DiskFerry is told to trust. */
  readonly caPem: string;
  /** Signed by that CA, for 127.0.0.1. */
  readonly trusted: KeyPair;
  /** Signed by that CA, for 127.0.0.2 (the canary's address). */
  readonly canary: KeyPair;
  /** Signed by that CA, but for other names (other.example, 127.0.0.3): wrong for 127.0.0.1. */
  readonly otherName: KeyPair;
  /** For 127.0.0.1 and 127.0.0.2, but signed by a CA nobody trusts. */
  readonly otherCa: KeyPair;
  readonly otherCaPem: string;
}

/** Makes the two CAs and the four certificates (ECDSA, fast). */
export async function createHostilePki(): Promise<HostilePki> {
  const pki = await createPki('DiskFerry Hostile Test CA');
  const other = await createPki('Some Other CA');
  return {
    caPem: pki.caPem,
    trusted: await pki.issue({ ips: ['127.0.0.1'] }),
    canary: await pki.issue({ ips: ['127.0.0.2'] }),
    otherName: await pki.issue({ dns: ['other.example'], ips: ['127.0.0.3'] }),
    otherCa: await other.issue({ ips: ['127.0.0.1', '127.0.0.2'] }),
    otherCaPem: other.caPem,
  };
}

/** A scripted HTTPS server: what it received, at the TCP, TLS and HTTP levels. */
export interface HostileServer {
  /** `https://ADDRESS:PORT` */
  readonly origin: string;
  readonly address: string;
  readonly port: number;
  /** TCP connections accepted (before any TLS handshake). */
  readonly tcpConnections: () => number;
  /** TLS handshakes that completed (the client accepted the certificate). */
  readonly tlsSessions: () => number;
  /** Every HTTP request head (with its socket, for the script). */
  readonly requests: RawRequest[];
  /** Every request head and body bytes seen, as one string (for "no secret arrived" checks). */
  received(): string;
  close(): Promise<void>;
}

/**
 * Starts `respond` (the raw imageio test server) behind TLS on `address` (a loopback address: the
 * whole 127/8 reaches this machine, so 127.0.0.2 is a second host without DNS).
 */
export async function startHostileServer(tls: KeyPair, respond: (req: RawRequest) => void | Promise<void>, address = '127.0.0.1'): Promise<HostileServer> {
  const raw = await startRawServer(respond);
  const rawPort = Number(new URL(raw.origin).port);
  let tcp = 0;
  let sessions = 0;
  const wire: Buffer[] = [];
  const open = new Set<Socket>();
  const server = createTlsServer({ key: tls.key, cert: tls.cert }, (secure: TLSSocket) => {
    sessions++;
    const back = tcpConnect(rawPort, '127.0.0.1');
    open.add(back);
    secure.on('data', (d: Buffer) => wire.push(d));
    secure.pipe(back);
    back.pipe(secure);
    // The script closing its socket early must look the same to the client: the connection ends.
    back.on('close', () => secure.end(() => secure.destroy()));
    secure.on('close', () => back.destroy());
    back.on('error', () => secure.destroy());
    secure.on('error', () => back.destroy());
  });
  server.on('connection', (s: Socket) => {
    tcp++;
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  server.on('tlsClientError', (_err, s) => s.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    origin: `https://${address}:${port}`,
    address,
    port,
    tcpConnections: () => tcp,
    tlsSessions: () => sessions,
    requests: raw.requests,
    received: () => Buffer.concat(wire).toString('latin1'),
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await raw.close();
    },
  };
}

/** A canary on 127.0.0.2 with a certificate the client trusts: a followed redirect would reach it. */
export function startCanary(pki: HostilePki): Promise<HostileServer> {
  return startHostileServer(pki.canary, (req) => reply(req.socket, 200, { 'content-type': 'application/json' }, '{}'), '127.0.0.2');
}

/** Writes one HTTP/1.1 response; `length` overrides the Content-Length (null leaves it out). */
export function reply(socket: Socket, status: number, headers: Record<string, string>, body: string | Buffer = '', length?: number | null): void {
  const data = typeof body === 'string' ? Buffer.from(body) : body;
  const lines = [`HTTP/1.1 ${status} ${REASONS[status] ?? 'Whatever'}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (length !== null) lines.push(`content-length: ${length ?? data.length}`);
  socket.write(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), data]));
}

const REASONS: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
  206: 'Partial Content',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
};

/** The request line, e.g. `GET /images/abc HTTP/1.1`. */
export function requestLine(req: RawRequest): string {
  return req.head.slice(0, req.head.indexOf('\r\n'));
}

/** A request header (lower-case name), or undefined. */
export function header(req: RawRequest, name: string): string | undefined {
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(req.head);
  return m?.[1]?.trim();
}

/** Reads the request body announced by Content-Length (empty without one). */
export async function requestBody(req: RawRequest): Promise<Buffer> {
  const n = Number(header(req, 'content-length') ?? 0);
  return n > 0 ? req.body(n) : Buffer.alloc(0);
}
