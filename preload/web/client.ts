/**
 * The browser side of the web host: builds the same `DiskFerryApi` that preload exposes in Electron,
 * over the host's WebSocket. The renderer does not need to know which one it got.
 *
 *   import { createWebSocketApi } from '…/preload/web/client.js';
 *   window.diskferry = createWebSocketApi();   // token and host from the page URL (?token=…)
 *
 * The web host serves this bundled and injects it before the renderer's own scripts, so a renderer
 * that reads `window.diskferry` works unchanged (see main/web-host/server.ts). Bundlable by Vite:
 * no Node imports.
 */
import { fail, type Result } from '../../shared/errors.js';
import { EVENT_CHANNELS, type EventChannel, type EventChannels, type InvokeChannel, type InvokeRequest, type InvokeResponse, type IpcTransport } from '../../shared/ipc.js';
import { createDiskFerryApi, type DiskFerryApi } from '../api.js';
import { IPC_PATH, type EventFrame, type InvokeFrame, type ResultFrame } from '../../shared/web-host-protocol.js';

/** Where to connect; defaults come from `location` (same host, `token` from the query or hash). */
export interface WebSocketApiOptions {
  /** `ws://127.0.0.1:PORT/ipc`; default: this page's host. */
  readonly url?: string;
  readonly token?: string;
  /** For tests outside a browser. */
  readonly WebSocketImpl?: typeof WebSocket;
}

interface PageLocation {
  readonly host: string;
  readonly search: string;
  readonly hash: string;
}

/** The token in the page URL: `?token=…` or `#token=…`. */
function tokenFromLocation(loc: PageLocation): string | null {
  return new URLSearchParams(loc.search).get('token') ?? new URLSearchParams(loc.hash.replace(/^#/, '')).get('token');
}

const closedError = (why: string) => fail<never>({ code: 'network', message: `The connection to DiskFerry was lost (${why}). Reload the page.`, retryable: true });

/** A transport over one WebSocket: invokes wait for the socket to open; events fan out to listeners. */
function createWebSocketTransport(options: WebSocketApiOptions = {}): IpcTransport & { close(): void; readonly ready: Promise<void> } {
  const loc = (globalThis as { location?: PageLocation }).location;
  const token = options.token ?? (loc ? tokenFromLocation(loc) : null);
  if (!token) throw new Error('No web host token: open the URL the web host printed (it ends in ?token=…).');
  const base = options.url ?? (loc ? `ws://${loc.host}${IPC_PATH}` : null);
  if (!base) throw new Error('No web host address.');
  const url = new URL(base);
  url.searchParams.set('token', token);
  const Impl = options.WebSocketImpl ?? WebSocket;
  const socket = new Impl(url.toString());
  const pending = new Map<number, (r: Result<unknown>) => void>();
  const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>();
  let nextId = 1;
  let closedWhy: string | null = null;

  const ready = new Promise<void>((resolve) => socket.addEventListener('open', () => resolve(), { once: true }));
  socket.addEventListener('message', (ev: MessageEvent) => {
    let frame: ResultFrame | EventFrame;
    try {
      frame = JSON.parse(String(ev.data)) as ResultFrame | EventFrame;
    } catch {
      return;
    }
    if (frame.type === 'result') {
      const done = pending.get(frame.id);
      pending.delete(frame.id);
      done?.(frame.result);
    } else if (frame.type === 'event' && (EVENT_CHANNELS as readonly string[]).includes(frame.channel)) {
      for (const l of [...(listeners.get(frame.channel) ?? [])]) l(frame.payload);
    }
  });
  socket.addEventListener('close', (ev: { readonly code: number; readonly reason: string }) => {
    const why = ev.reason || `code ${ev.code}`;
    closedWhy = why;
    for (const done of pending.values()) done(closedError(why));
    pending.clear();
  });

  return {
    ready,
    invoke<C extends InvokeChannel>(channel: C, request: InvokeRequest<C>): Promise<Result<InvokeResponse<C>>> {
      if (closedWhy !== null) return Promise.resolve(closedError(closedWhy));
      const id = nextId++;
      const frame: InvokeFrame = { type: 'invoke', id, channel, payload: request };
      return new Promise<Result<InvokeResponse<C>>>((resolve) => {
        pending.set(id, resolve as (r: Result<unknown>) => void);
        void ready.then(() => {
          if (closedWhy === null) socket.send(JSON.stringify(frame));
        });
      });
    },
    on<E extends EventChannel>(event: E, listener: (payload: EventChannels[E]) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const l = listener as (payload: unknown) => void;
      set.add(l);
      return () => {
        set.delete(l);
      };
    },
    close() {
      socket.close(1000, 'closed by the page');
    },
  };
}

/** The DiskFerry API over the web host's WebSocket (files have no local path in a browser). */
export function createWebSocketApi(options: WebSocketApiOptions = {}): DiskFerryApi {
  return createDiskFerryApi(createWebSocketTransport(options), () => null);
}
