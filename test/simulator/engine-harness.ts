/**
 * Test harness for the engine simulator: an engine over HTTPS on 127.0.0.1 with manual clocks, either
 * with stand-in imageio endpoints (ticket stores only) or with the real imageio daemon and proxy.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { ImageStore } from '../../main/simulator/image-store.js';
import { noFaults, type FaultSettings } from '../../main/simulator/faults.js';
import { createPki, type SimPki } from '../../main/simulator/pki.js';
import { TicketStore } from '../../main/simulator/imageio/tickets.js';
import { startImageioServer, type ImageioPersonality } from '../../main/simulator/imageio/server.js';
import { startEngineServer, type EngineServer, type EngineVersion, type ImageioEndpoint } from '../../main/simulator/engine/server.js';

/** A response as the tests look at it. */
export interface TestResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The parsed JSON body (throws on a non-JSON body). */
  json<T = Record<string, unknown>>(): T;
}

/** A running engine plus what a test needs around it. */
export interface Harness {
  readonly engine: EngineServer;
  readonly pki: SimPki;
  readonly images: ImageStore;
  readonly faults: FaultSettings;
  readonly daemon: ImageioEndpoint;
  readonly proxy: ImageioEndpoint;
  /** Engine epoch-ms clock; tests move it. */
  readonly clock: { now: number };
  /** imageio monotonic seconds of both ticket stores; tests move it. */
  readonly ticketClock: { t: number };
  readonly username: string;
  readonly password: string;
  /** Raw HTTPS request to a path under https://127.0.0.1:PORT. */
  fetch(method: string, path: string, o?: { body?: string; headers?: Record<string, string> }): Promise<TestResponse>;
  /** Logs in (once, cached) and returns the access token. */
  token(): Promise<string>;
  /** An authenticated JSON call to /ovirt-engine/api + `path` (logs in again once on a 401). */
  api(method: string, path: string, body?: unknown): Promise<TestResponse>;
  close(): Promise<void>;
}

let sharedPki: Promise<SimPki> | null = null;

/** Options of startHarness. */
export interface HarnessOptions {
  version?: EngineVersion;
  seed?: boolean;
  /** Use the real imageio daemon and proxy (default: stand-ins that only hold tickets). */
  realImageio?: boolean;
  /** Personalities of the real imageio servers. */
  daemonPersonality?: ImageioPersonality;
  proxyPersonality?: ImageioPersonality;
}

function standIn(role: 'daemon' | 'proxy', port: number, tickets: TicketStore): ImageioEndpoint {
  return { role, port, tickets, imageUrl: (id) => `https://127.0.0.1:${port}/images/${id}` };
}

/** Starts an engine in fast mode with manual clocks. */
export async function startHarness(o: HarnessOptions = {}): Promise<Harness> {
  sharedPki ??= createPki();
  const pki = await sharedPki;
  const dir = await mkdtemp(join(tmpdir(), 'diskferry-engine-test-'));
  const images = new ImageStore(join(dir, 'images'));
  const faults = noFaults();
  const clock = { now: 1_700_000_000_000 };
  const ticketClock = { t: 1000 };
  const monotonic = () => ticketClock.t;
  let daemon: ImageioEndpoint;
  let proxy: ImageioEndpoint;
  const closers: Array<() => Promise<void>> = [];
  if (o.realImageio) {
    const d = await startImageioServer({ role: 'daemon', tls: pki.server, images, faults, tickets: new TicketStore(monotonic), ...(o.daemonPersonality ? { personality: o.daemonPersonality } : {}) });
    const p = await startImageioServer({ role: 'proxy', tls: pki.server, images, faults, tickets: new TicketStore(monotonic), upstream: d, ...(o.proxyPersonality ? { personality: o.proxyPersonality } : {}) });
    closers.push(() => p.close(), () => d.close());
    daemon = d;
    proxy = p;
  } else {
    daemon = standIn('daemon', 54322, new TicketStore(monotonic));
    proxy = standIn('proxy', 54323, new TicketStore(monotonic));
  }
  const username = 'admin@internal';
  const password = 'secret-Pa55';
  const engine = await startEngineServer({
    tls: pki.server,
    caPem: pki.caPem,
    version: o.version ?? '4.5',
    fast: true,
    username,
    password,
    images,
    daemon,
    proxy,
    faults,
    now: () => clock.now,
    seed: o.seed ?? false,
  });
  const agent = new Agent({ connect: { ca: pki.caPem } });
  const base = `https://127.0.0.1:${engine.port}`;

  async function fetch(method: string, path: string, opt: { body?: string; headers?: Record<string, string> } = {}): Promise<TestResponse> {
    const res = await request(base + path, { method: method as 'GET', headers: opt.headers ?? {}, body: opt.body ?? null, dispatcher: agent });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
  }

  let cached: string | null = null;
  async function token(): Promise<string> {
    if (cached) return cached;
    const res = await fetch('POST', '/ovirt-engine/sso/oauth/token', {
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', scope: 'ovirt-app-api', username, password }).toString(),
    });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
    cached = res.json<{ access_token: string }>().access_token;
    return cached;
  }

  async function api(method: string, path: string, body?: unknown): Promise<TestResponse> {
    const send = async () => {
      const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${await token()}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      return fetch(method, `/ovirt-engine/api${path}`, { headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    };
    const first = await send();
    if (first.status !== 401) return first;
    cached = null; // like the SDK: log in again once and repeat the request
    return send();
  }

  return {
    engine,
    pki,
    images,
    faults,
    daemon,
    proxy,
    clock,
    ticketClock,
    username,
    password,
    fetch,
    token,
    api,
    async close() {
      await engine.close();
      for (const c of closers) await c();
      await agent.close();
      await images.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` every 5 ms until it returns a value other than undefined, or fails after `ms`. */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, ms = 3000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Records every phase a transfer goes through, watching the engine model on every event-loop turn
 * (each poll or action changes the phase at most once), until it is finished or its row is gone.
 */
export async function phaseTrail(h: Harness, id: string, ms = 3000): Promise<string[]> {
  const trail: string[] = [];
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const phase = h.engine.state.transfers.get(id)?.phase ?? 'gone';
    if (trail[trail.length - 1] !== phase) trail.push(phase);
    if (phase === 'gone' || phase === 'finished_success' || phase === 'finished_failure') return trail;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`transfer ${id} did not finish; phases so far: ${trail.join(' → ')}`);
}

/**
 * The phases of transfer `id` from the moment `action` is sent until it ends (or reaches `until`),
 * watched on every turn of the event loop from before the action, so a phase the simulator holds
 * only briefly is seen however late the action's answer comes back on a busy machine.
 */
export async function phaseTrailOf(h: Harness, id: string, action: () => Promise<unknown>, until?: string, ms = 3000): Promise<string[]> {
  const trail: string[] = [];
  const look = () => {
    const phase = h.engine.state.transfers.get(id)?.phase ?? 'gone';
    if (trail[trail.length - 1] !== phase) trail.push(phase);
    return phase;
  };
  look();
  const before = trail.length;
  let acting = true;
  const watcher = (async () => {
    while (acting) {
      look();
      await new Promise((r) => setImmediate(r));
    }
  })();
  try {
    await action();
  } finally {
    acting = false;
    await watcher;
  }
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const phase = look();
    if (phase === until || phase === 'gone' || phase === 'finished_success' || phase === 'finished_failure') return trail.slice(before);
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`transfer ${id} did not finish; phases so far: ${trail.join(' → ')}`);
}

/** Creates a disk on `data-nfs` (or `sd`), waits until it is ok and returns its id. */
export async function createDisk(h: Harness, over: Record<string, unknown> = {}, sd = 'data-nfs'): Promise<string> {
  const body = { name: `disk-${Math.random().toString(36).slice(2, 8)}`, provisioned_size: 1024 ** 3, format: 'raw', storage_domains: { storage_domain: [{ name: sd }] }, ...over };
  const res = await h.api('POST', '/disks', body);
  if (res.status !== 202) throw new Error(`disk add failed: ${res.status} ${res.text}`);
  const id = String(res.json()['id']);
  await waitFor(() => (h.engine.state.disks.get(id)?.status === 'ok' ? true : undefined), 3000, 'disk ok');
  return id;
}

/** POST /imagetransfers, expecting 201; returns the transfer JSON. */
export async function startTransfer(h: Harness, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await h.api('POST', '/imagetransfers', body);
  if (res.status !== 201) throw new Error(`transfer add failed: ${res.status} ${res.text}`);
  return res.json();
}
