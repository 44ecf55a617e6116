/**
 * What the TLS client hello says to a server addressed by IP or by name, directly and through a
 * proxy, for each of the three ways DiskFerry connects (undici Agent, undici Client, the socket
 * dispatcher): SNI carries names only, never an IP literal (RFC 6066 §3), and the certificate is
 * checked against the IP name (127.0.0.1, ::1) or the DNS name.
 */
import { createServer, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, Client, request } from 'undici';
import { SocketDispatcher } from '../../../main/engine/imageio/http/socket-dispatcher.js';
import { exchange } from '../../../main/engine/imageio/exchange.js';
import { proxiedConnector, routedConnector } from '../../../main/engine/net/connectors.js';
import { createPki, type SimPki } from '../../../main/simulator/pki.js';
import { startConnectProxy, type ConnectProxy } from '../../helpers/connect-proxy.js';

let pki: SimPki;
let proxy: ConnectProxy;
const servers: Array<{ close: () => void }> = [];
/** The SNI of each TLS connection the servers accepted (false: none was sent). */
const seen: Array<string | false | null> = [];

async function tlsServer(host: string): Promise<number> {
  const server = createServer(pki.server, (s: TLSSocket) => {
    seen.push(s.servername);
    s.on('data', () => s.end('HTTP/1.1 206 Partial Content\r\ncontent-length: 2\r\ncontent-range: bytes 0-1/2\r\n\r\nok'));
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  servers.push(server);
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  pki = await createPki();
  proxy = await startConnectProxy();
});
afterAll(async () => {
  for (const s of servers) s.close();
  await proxy.close();
});

type Way = (origin: string, via: URL | null) => Promise<number>;

const ways: Record<string, Way> = {
  'undici Agent (engine)': async (origin, via) => {
    const tls = { ca: [pki.caPem] };
    const agent = new Agent({ connect: routedConnector(tls, () => via, 5000) });
    try {
      return (await request(`${origin}/x`, { dispatcher: agent })).statusCode;
    } finally {
      await agent.close();
    }
  },
  'undici Client (imageio)': async (origin, via) => {
    const tls = { ca: [pki.caPem] };
    const client = new Client(origin, { connect: via ? proxiedConnector(tls, via, 5000) : { ...tls, timeout: 5000 } });
    try {
      return (await request(`${origin}/x`, { dispatcher: client })).statusCode;
    } finally {
      await client.close();
    }
  },
  'socket dispatcher (ranged GETs)': async (origin, via) => {
    const d = new SocketDispatcher({ origin, tls: { ca: [pki.caPem] }, connectMs: 5000, idleMs: 5000, proxy: via });
    try {
      const req = { method: 'GET', path: '/x', headers: { range: 'bytes=0-1' }, body: null, headersTimeout: 5000, bodyTimeout: 5000, signal: new AbortController().signal } as const;
      return (await exchange(d, req, {})).status;
    } finally {
      d.close();
    }
  },
};

describe.each(Object.keys(ways))('%s', (name) => {
  const way = ways[name]!;
  it.each([
    ['127.0.0.1', '127.0.0.1', false],
    ['::1', '[::1]', false],
    ['127.0.0.1', 'localhost', 'localhost'],
  ] as const)('listening on %s, addressed as %s: SNI %s, directly and through a proxy', async (listen, address, sni) => {
    const port = await tlsServer(listen);
    for (const via of [null, new URL(proxy.url)]) {
      seen.length = 0;
      const status = await way(`https://${address}:${port}`, via);
      expect(status).toBeLessThan(300);
      expect(seen).toEqual([sni]);
    }
  });
});
