import { createServer, type Server, type Socket } from 'node:net';
import { ImageioConnection, type ConnectionDeps } from '../../../main/engine/imageio/connection.js';

/** The ticket of the raw server's connections (a secret to the connection, like a real one). */
export const RAW_TICKET = 'c0ffee00-1111-4222-8333-944455556666';

/** One request as the raw server saw it: the head, and the first TCP read that carried it. */
export interface RawRequest {
  readonly head: string;
  readonly firstRead: Buffer;
  readonly socket: Socket;
  /** Reads exactly n body bytes that follow the head. */
  body(n: number): Promise<Buffer>;
}

/**
 * A plain-TCP HTTP/1.1 server scripted by the test: each request head goes to `respond`, which
 * writes whatever bytes it wants. Used for answers a correct imageio never gives (200 to a ranged
 * GET, a wrong Content-Length) and to see the bytes on the wire.
 */
export async function startRawServer(respond: (req: RawRequest) => void | Promise<void>): Promise<{ origin: string; requests: RawRequest[]; close(): Promise<void> }> {
  const requests: RawRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    let first: Buffer | null = null;
    let waiter: (() => void) | null = null;
    let busy = false;
    const pump = async () => {
      if (busy) return;
      busy = true;
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const head = buf.subarray(0, end).toString('latin1');
        buf = buf.subarray(end + 4);
        const req: RawRequest = {
          head,
          firstRead: first ?? Buffer.alloc(0),
          socket,
          body: async (n) => {
            while (buf.length < n) await new Promise<void>((r) => (waiter = r));
            const out = buf.subarray(0, n);
            buf = buf.subarray(n);
            return out;
          },
        };
        first = null;
        requests.push(req);
        await respond(req);
      }
      busy = false;
    };
    socket.on('data', (d: Buffer) => {
      first ??= d;
      buf = Buffer.concat([buf, d]);
      const w = waiter;
      waiter = null;
      w?.();
      void pump();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * A raw server and an ImageioConnection to RAW_TICKET on it; both closes go to `closers`, which the
 * test file runs after each test.
 */
export async function rawConnection(
  respond: (req: RawRequest) => void | Promise<void>,
  deps: ConnectionDeps,
  closers: Array<() => Promise<void>>,
): Promise<{ server: Awaited<ReturnType<typeof startRawServer>>; conn: ImageioConnection }> {
  const server = await startRawServer(respond);
  const conn = new ImageioConnection({ origin: server.origin, path: `/images/${RAW_TICKET}`, display: 'raw (direct)', viaProxy: false, secrets: [RAW_TICKET], authorization: null }, deps);
  closers.push(() => conn.close(), () => server.close());
  return { server, conn };
}
