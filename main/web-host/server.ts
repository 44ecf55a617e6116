/**
 * The web host, the app core's third host beside the Electron app (main/index.ts) and the command
 * line (main/cli/): serves the built renderer (`dist/renderer/`) to a browser and carries the IPC
 * contract over a WebSocket on 127.0.0.1, to a real AppCore. Used by the Playwright tests and by
 * `npm run demo` / `npm run web` where Electron cannot start.
 *
 * Security: it listens on 127.0.0.1 only; the WebSocket needs the random token of the page URL
 * (`?token=…`), an Origin equal to the host's own (or one listed in `allowedOrigins`, e.g. a Vite dev
 * server), and a Host header naming 127.0.0.1/localhost (no DNS rebinding). index.html gets the
 * browser client injected before its own scripts (the stand-in for preload) and its CSP's
 * `connect-src` set to this socket.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { fail } from '../../shared/errors.js';
import type { EventChannel, EventChannels } from '../../shared/ipc.js';
import type { AppCore } from '../app/app-core.js';
import { dispatch } from '../app/dispatch.js';
import { EventPump } from '../app/event-pump.js';
import type { Log } from '../engine/log.js';
import { payloadProblem } from '../app/payload-guard.js';
import { realTimers } from '../engine/timers.js';
import { CLIENT_SCRIPT_PATH, IPC_PATH, MAX_FRAME_BYTES, type EventFrame, type InvokeFrame, type ResultFrame } from '../../shared/web-host-protocol.js';
import { errorMessage } from '../engine/errors.js';
import { contractNamesOnly } from './contract-names.js';

const here = fileURLToPath(new URL('.', import.meta.url));
/** The checkout: two levels up from main/web-host/, three from its compiled dist/main/web-host/. */
const twoUp = resolve(here, '..', '..');
const checkout = basename(twoUp) === 'dist' ? dirname(twoUp) : twoUp;

/** Where the Vite build puts the window. */
const DEFAULT_RENDERER_DIR = join(checkout, 'dist', 'renderer');

/** The browser bridge's entry (preload/web/), bundled from source at first request. */
const CLIENT_ENTRY = join(checkout, 'preload', 'web', 'client-entry.ts');

/** Options of the web host. */
export interface WebHostOptions {
  /** The app core (only its handlers and change notices are used). */
  readonly core: Pick<AppCore, 'handlers' | 'snapshot' | 'subscribe'>;
  readonly log: Log;
  /** Default 0: a free port. */
  readonly port?: number;
  /** Default dist/renderer. */
  readonly rendererDir?: string;
  /** Default: 32 random bytes. */
  readonly token?: string;
  /** Origins besides the host's own that may open the socket (a Vite dev server). */
  readonly allowedOrigins?: readonly string[];
  /** Event coalescing interval (default 250 ms). */
  readonly eventIntervalMs?: number;
}

/** A running web host. */
export interface WebHost {
  /** `http://127.0.0.1:PORT/?token=TOKEN`: the page to open. */
  readonly url: string;
  /** `ws://127.0.0.1:PORT/ipc`. */
  readonly ipcUrl: string;
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

let clientBundle: Promise<string> | null = null;

/** The browser client bundled by Vite (once per process). */
function bundleClient(): Promise<string> {
  clientBundle ??= (async () => {
    const { build } = await import('vite');
    const out = await build({
      configFile: false,
      logLevel: 'silent',
      root: dirname(CLIENT_ENTRY),
      // The page needs the channel names, not the schemas (zod would probe `new Function` against the CSP).
      plugins: [contractNamesOnly()],
      build: { write: false, minify: false, emptyOutDir: false, lib: { entry: CLIENT_ENTRY, formats: ['es'], fileName: 'web-host-client' } },
    });
    const outputs = Array.isArray(out) ? out : [out];
    for (const o of outputs) {
      if ('output' in o) for (const chunk of o.output) if (chunk.type === 'chunk' && chunk.isEntry) return chunk.code;
    }
    throw new Error('bundling the web host client produced no entry chunk');
  })();
  return clientBundle;
}

/** Sets the CSP's connect-src to the socket, and injects the client before any other script. */
export function rewriteIndexHtml(html: string, wsOrigin: string): string {
  const tag = `<script type="module" src="${CLIENT_SCRIPT_PATH}"></script>`;
  let out = html.replace(/(<meta\s+http-equiv=["']Content-Security-Policy["']\s+content=")([^"]*)(")/i, (_m, a: string, csp: string, b: string) => {
    const directives = csp
      .split(';')
      .map((d) => d.trim())
      .filter((d) => d !== '' && !/^connect-src\b/i.test(d));
    directives.push(`connect-src ${wsOrigin}`);
    return `${a}${directives.join('; ')}${b}`;
  });
  out = /<head[^>]*>/i.test(out) ? out.replace(/<head[^>]*>/i, (h) => `${h}\n    ${tag}`) : `${tag}\n${out}`;
  return out;
}

/** A page for a checkout whose renderer is not built yet (the socket still works). */
function placeholderPage(rendererDir: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>DiskFerry</title></head><body>
<h1>DiskFerry web host</h1><p>The window is not built: no ${rendererDir}/index.html. Build the renderer, then reload.</p>
<p>The IPC contract is live on this page as <code>window.diskferry</code> (try it in the console).</p></body></html>`;
}

function sameToken(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Starts the web host on 127.0.0.1. */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const { core, log } = options;
  const rendererDir = resolve(options.rendererDir ?? DEFAULT_RENDERER_DIR);
  const token = options.token ?? randomBytes(32).toString('base64url');
  let port = 0;
  const origins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`, ...(options.allowedOrigins ?? [])]);
  const hostOk = (host: string | undefined) => host === `127.0.0.1:${port}` || host === `localhost:${port}`;

  const serveFile = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };
    if (!hostOk(req.headers.host)) {
      res.writeHead(421, headers).end('Misdirected request');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, headers).end();
      return;
    }
    if (url.pathname === CLIENT_SCRIPT_PATH) {
      res.writeHead(200, { ...headers, 'content-type': TYPES['.js']! }).end(await bundleClient());
      return;
    }
    const wanted = url.pathname === '/' ? '/index.html' : decodeURIComponent(url.pathname);
    const file = resolve(rendererDir, '.' + wanted);
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) {
      res.writeHead(404, headers).end();
      return;
    }
    const isFile = await stat(file).then((s) => s.isFile(), () => false);
    if (wanted === '/index.html') {
      const html = isFile ? await readFile(file, 'utf8') : placeholderPage(rendererDir);
      res.writeHead(200, { ...headers, 'content-type': TYPES['.html']! }).end(rewriteIndexHtml(html, `ws://127.0.0.1:${port}`));
      return;
    }
    if (!isFile) {
      res.writeHead(404, headers).end('Not found');
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(await readFile(file));
  };

  const server = createServer((req, res) => {
    serveFile(req, res).catch((err: unknown) => {
      log.warn('web host request failed', { error: errorMessage(err) });
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const origin = req.headers.origin;
    const refuse = (status: number, why: string) => {
      log.warn('web host refused a connection', { why });
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== IPC_PATH) return refuse(404, 'Not Found');
    if (!hostOk(req.headers.host)) return refuse(421, 'Misdirected Request');
    if (origin === undefined || !origins().has(origin)) return refuse(403, 'Forbidden');
    if (!sameToken(url.searchParams.get('token'), token)) return refuse(403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws));
  });

  const serveSocket = (ws: WebSocket) => {
    const send = (frame: ResultFrame | EventFrame) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
    };
    const pump = new EventPump({
      snapshot: <E extends EventChannel>(channel: E) => core.snapshot(channel),
      send: <E extends EventChannel>(channel: E, payload: EventChannels[E]) => send({ type: 'event', channel, payload }),
      timers: realTimers,
      now: Date.now,
      ...(options.eventIntervalMs !== undefined ? { intervalMs: options.eventIntervalMs } : {}),
    });
    const unsubscribe = core.subscribe((n) => pump.notify(n));
    // A frame beyond maxPayload, or a broken one, is an 'error' on this socket (ws then closes it,
    // 1009 / 1002); without a listener it would be an uncaught exception that ends the host.
    ws.on('error', (err) => log.warn('web host closed a socket after a protocol error', { error: err.message }));
    ws.on('message', (data, isBinary) => {
      let frame: InvokeFrame;
      try {
        if (isBinary) throw new Error('binary frame');
        frame = JSON.parse(String(data)) as InvokeFrame;
        if (typeof frame !== 'object' || frame === null || frame.type !== 'invoke' || !Number.isSafeInteger(frame.id) || typeof frame.channel !== 'string') {
          throw new Error('not an invoke frame');
        }
      } catch {
        log.warn('web host closed a socket after a malformed frame');
        ws.close(1003, 'unsupported frame');
        return;
      }
      // The same plain-data check as Electron's handlers (main/ipc/handle.ts), then schema and core.
      const problem = payloadProblem(frame.payload);
      if (problem !== null) {
        log.warn('web host refused a malformed payload', { channel: frame.channel.slice(0, 100), problem });
        send({ type: 'result', id: frame.id, result: fail({ code: 'bad-input', message: `Invalid request: ${problem}.`, retryable: false }) });
        return;
      }
      void dispatch(core.handlers, frame.channel, frame.payload, log).then((result) => send({ type: 'result', id: frame.id, result }));
    });
    ws.on('close', () => {
      unsubscribe();
      pump.close();
    });
  };

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    ipcUrl: `ws://127.0.0.1:${port}${IPC_PATH}`,
    origin,
    port,
    token,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
