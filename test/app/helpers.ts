/**
 * A real AppCore against a fast simulator, with in-memory ports, for the app-core tests: every call
 * goes through `dispatch` (schema parse + Result envelope), as it does from the window.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Result } from '../../shared/errors.js';
import { IPC, type EventChannel, type InvokeChannel, type InvokeRequest, type InvokeResponse } from '../../shared/ipc.js';
import { AppCore, type AppCoreOptions } from '../../main/app/app-core.js';
import { dispatch } from '../../main/app/dispatch.js';
import type { EventStates } from '../../main/app/event-pump.js';
import { MemoryCipher, MemoryStore } from '../../main/app/node-ports.js';
import { noDialogs, type AppPorts, type DesktopPort, type DialogPort } from '../../main/app/ports.js';
import type { ProxyResolver } from '../../main/engine/net/proxy.js';
import { createLog } from '../../main/engine/log.js';
import { realTimers } from '../../main/engine/timers.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../main/simulator/simulator.js';

/** A running core with its simulator. */
export interface CoreHarness {
  readonly sim: Simulator;
  readonly core: AppCore;
  readonly store: MemoryStore;
  readonly dir: string;
  readonly logLines: string[];
  readonly notifications: Array<{ title: string; body: string }>;
  /** Every taskbar progress the core set (a fraction, or null for none). */
  readonly progress: Array<number | null>;
  /** Every response value, serialized, for "no secret crossed" checks. */
  readonly wire: string[];
  /** Invokes through dispatch; the response is checked against its schema. */
  invoke<C extends InvokeChannel>(channel: C, request: InvokeRequest<C>): Promise<Result<InvokeResponse<C>>>;
  /** Invokes and returns the value, failing the test on an error Result. */
  call<C extends InvokeChannel>(channel: C, request: InvokeRequest<C>): Promise<InvokeResponse<C>>;
  snapshot<E extends EventChannel>(channel: E): EventStates[E];
  /** Builds a second core on the same store (an app restart); `between` runs while no core runs. */
  restart(between?: () => Promise<void>): Promise<AppCore>;
  close(): Promise<void>;
}

/** Starts a simulator and a core whose demo engine is that simulator. */
export async function startCore(
  options: { simulator?: SimulatorOptions; core?: AppCoreOptions; store?: MemoryStore; systemProxy?: ProxyResolver; dialogs?: DialogPort } = {},
): Promise<CoreHarness> {
  const sim = await startSimulator({ fast: true, ...options.simulator });
  const dir = await mkdtemp(join(tmpdir(), 'diskferry-app-'));
  const logLines: string[] = [];
  const notifications: Array<{ title: string; body: string }> = [];
  const progress: Array<number | null> = [];
  const wire: string[] = [];
  const store = options.store ?? new MemoryStore();
  const desktop: DesktopPort = {
    reveal: () => Promise.resolve(false),
    notify: (title, body) => notifications.push({ title, body }),
    setBusy: () => {},
    setProgress: (p) => progress.push(p),
  };
  const ports: AppPorts = {
    store,
    secrets: new MemoryCipher(),
    dialogs: options.dialogs ?? noDialogs,
    desktop,
    demo: { start: () => Promise.resolve({ engineUrl: sim.engineUrl, username: sim.username, password: sim.password, caPem: sim.caPem }) },
    ...(options.systemProxy ? { systemProxy: options.systemProxy } : {}),
    host: { name: 'DiskFerry', version: '0.0.0-test', host: 'web', platform: process.platform, nativeDialogs: false, canReveal: false },
    log: createLog({ level: 'debug', write: (l) => logLines.push(l) }),
    timers: realTimers,
    now: Date.now,
    newId: randomUUID,
    pendingSnapshots: join(dir, 'pending-snapshots'),
  };
  const coreOptions: AppCoreOptions = { pollIntervalMs: 20, engineTimeoutMs: 20_000, retryBaseMs: 50, ...options.core };
  const cores: AppCore[] = [await AppCore.create(ports, coreOptions)];
  const current = () => cores.at(-1)!;
  const invoke = async <C extends InvokeChannel>(channel: C, request: InvokeRequest<C>): Promise<Result<InvokeResponse<C>>> => {
    const result = await dispatch(current().handlers, channel, request, ports.log);
    if (result.ok) {
      const checked = IPC.invoke[channel].response.safeParse(result.value);
      if (!checked.success) throw new Error(`${channel} answered outside its schema: ${checked.error.message}`);
    }
    wire.push(JSON.stringify(result));
    return result as Result<InvokeResponse<C>>;
  };
  return {
    sim,
    get core() {
      return current();
    },
    store,
    dir,
    logLines,
    notifications,
    progress,
    wire,
    invoke,
    async call(channel, request) {
      const r = await invoke(channel, request);
      if (!r.ok) throw new Error(`${channel} failed: ${r.error.code}: ${r.error.message}`);
      return r.value;
    },
    snapshot: (channel) => current().snapshot(channel),
    async restart(between) {
      await current().close();
      await between?.();
      cores.push(await AppCore.create(ports, coreOptions));
      return current();
    },
    async close() {
      await current().close();
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when `predicate` holds, polling every 10 ms. */
export async function until(predicate: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
