import type { ConnectionState, Exchange, ServerContext } from './context.js';
import type { HttpConnection } from './http-connection.js';
import { ConnectionLost, HttpError, REASONS, SERVER_FAILED } from './http-errors.js';
import { parseRequestHead } from './http-request.js';
import { IMAGEIO_VERSION, Response } from './http-response.js';
import { dispatch, type Route } from './router.js';
import { Throttle } from './throttle.js';

/** BaseHTTPRequestHandler.send_error: the stdlib's HTML page, for requests imageio never sees. */
async function sendStdlibError(conn: HttpConnection, status: number, message?: string): Promise<void> {
  const reason = REASONS[status] ?? '';
  const html =
    `<!DOCTYPE HTML>\n<html lang="en">\n    <head>\n        <meta charset="utf-8">\n        <title>Error response</title>\n    </head>\n` +
    `    <body>\n        <h1>Error response</h1>\n        <p>Error code: ${status}</p>\n        <p>Message: ${message ?? reason}.</p>\n    </body>\n</html>\n`;
  const body = Buffer.from(html, 'utf8');
  const head =
    `HTTP/1.1 ${status} ${reason}\r\nServer: imageio/${IMAGEIO_VERSION}\r\nDate: ${new Date().toUTCString()}\r\n` +
    `Connection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n`;
  await conn.write(Buffer.concat([Buffer.from(head, 'latin1'), body])).catch(() => {});
}

/** Router.__call__: dispatch, default 200, and the error policy (close when the body was not read). */
async function handle(ex: Exchange, routes: readonly Route[]): Promise<void> {
  const { req, res, connection } = ex;
  const { conn } = connection;
  try {
    // imageio would send the body of a HEAD error; closing keeps a client's next response in frame.
    if (req.method === 'HEAD') res.closeConnection();
    ex.server.requestLog.record(req.method, req.path, 'start');
    await dispatch(routes, ex).finally(() => ex.server.requestLog.record(req.method, req.path, 'end'));
    if (!res.started) await res.send();
  } catch (e) {
    if (e instanceof ConnectionLost || conn.closed || res.started) {
      conn.destroy();
      return;
    }
    let error: HttpError;
    if (e instanceof HttpError) error = e;
    else {
      ex.server.lastError = e;
      error = new HttpError(500, SERVER_FAILED);
    }
    if (req.remaining > 0) res.closeConnection();
    try {
      await res.sendError(error);
    } catch {
      conn.destroy();
    }
  }
}

/** Serves requests on one connection until it closes (the body of imageio's per-connection thread). */
export async function serveConnection(conn: HttpConnection, server: ServerContext, routes: readonly Route[], withFaults: boolean): Promise<void> {
  const connection: ConnectionState = { conn, bindings: new Map(), throttle: new Throttle() };
  conn.onClose(() => {
    for (const [ticket, binding] of connection.bindings) {
      ticket.connections -= 1;
      if (binding.upstream) binding.upstream.connections -= 1;
    }
    connection.bindings.clear();
  });
  conn.setIdleTimeout(60 * server.timing.secondMs);
  const latency = withFaults ? () => server.faults.latencyMs : () => 0;
  for (;;) {
    const head = await conn.readHead();
    if (conn.closed) return;
    if (head.kind === 'eof') return conn.end(false);
    if (head.kind === 'too-large') {
      await sendStdlibError(conn, head.status);
      return conn.end(true);
    }
    const req = parseRequestHead(head.head);
    if (req instanceof HttpError) {
      await sendStdlibError(conn, req.status, req.message);
      return conn.end(true);
    }
    // Python answers Expect: 100-continue before any handler runs, even for a request it will refuse.
    if (req.expectContinue) await conn.write(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n')).catch(() => {});
    await handle({ server, connection, req, res: new Response(conn, latency) }, routes);
    if (conn.closed) return;
    if (conn.closeAfterResponse || req.clientClose || req.remaining > 0) return conn.end(req.remaining > 0);
  }
}
