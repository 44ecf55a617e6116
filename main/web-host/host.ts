/**
 * The web host's composition root: the simulator, a real AppCore with plain-Node ports, and the
 * server. Stand-ins for what a browser page cannot have: dialogs answer "cancelled" (the window asks
 * for typed paths; `AppInfo.nativeDialogs` is false), `reveal` returns the path without showing it,
 * notifications go to the log, passwords are kept in memory only, settings and the queue are JSON
 * files in the data folder.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppCore, type AppCoreOptions } from '../app/app-core.js';
import { JsonFileStore, MemoryCipher } from '../app/node-ports.js';
import { noDialogs, type AppPorts, type DesktopPort } from '../app/ports.js';
import { rangedGetDispatcherFrom } from '../engine/imageio/connection.js';
import { envProxyResolver } from '../engine/net/proxy.js';
import { commandLineFiles } from '../engine/config-dir.js';
import { createLog, type Log } from '../engine/log.js';
import { realTimers } from '../engine/timers.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../simulator/simulator.js';
import { startWebHost, type WebHost, type WebHostOptions } from './server.js';

/** Options of a demo web host. */
export interface DemoWebHostOptions {
  readonly port?: number;
  readonly rendererDir?: string;
  /** Settings, profiles and queue files; default: a temporary folder removed on close. */
  readonly dataDir?: string;
  readonly allowedOrigins?: readonly string[];
  /** Add and select the simulator at start, as "Try the demo engine" would. Default false. */
  readonly selectDemo?: boolean;
  readonly simulator?: SimulatorOptions;
  readonly core?: AppCoreOptions;
  readonly log?: Log;
  readonly eventIntervalMs?: WebHostOptions['eventIntervalMs'];
}

/** A running demo web host. */
export interface DemoWebHost {
  readonly host: WebHost;
  readonly sim: Simulator;
  readonly core: AppCore;
  readonly dataDir: string;
  close(): Promise<void>;
}

/** The stand-in desktop of a browser page. */
function webDesktop(log: Log): DesktopPort {
  return {
    reveal: () => Promise.resolve(false),
    notify: (title, body) => log.info('notification', { title, body }),
    setBusy: () => {},
    setProgress: () => {},
  };
}

/** Starts the simulator, the app core and the web host. */
export async function startDemoWebHost(options: DemoWebHostOptions = {}): Promise<DemoWebHost> {
  const log = options.log ?? createLog({ level: 'warn', write: (l) => process.stderr.write(l + '\n') });
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'diskferry-web-')));
  const sim = await startSimulator({ fast: true, ...options.simulator });
  const ports: AppPorts = {
    store: new JsonFileStore(dataDir),
    secrets: new MemoryCipher(),
    dialogs: noDialogs,
    desktop: webDesktop(log),
    demo: { start: () => Promise.resolve({ engineUrl: sim.engineUrl, username: sim.username, password: sim.password, caPem: sim.caPem }) },
    // A browser has no say in main's connections: the system proxy is the environment's, as for the CLI.
    systemProxy: envProxyResolver(process.env),
    host: { name: 'DiskFerry', version: '0.1.0', host: 'web', platform: process.platform, nativeDialogs: false, canReveal: false, locale: Intl.DateTimeFormat().resolvedOptions().locale },
    log,
    timers: realTimers,
    now: Date.now,
    newId: randomUUID,
    uploadJournals: join(dataDir, 'uploads'),
    pendingSnapshots: join(dataDir, 'pending-snapshots'),
  };
  const core = await AppCore.create(ports, { pollIntervalMs: 100, rangedGets: rangedGetDispatcherFrom(process.env), commandLine: commandLineFiles(), ...options.core });
  if (options.selectDemo) await core.handlers['engines:demo']();
  const host = await startWebHost({
    core,
    log,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.rendererDir !== undefined ? { rendererDir: options.rendererDir } : {}),
    ...(options.allowedOrigins !== undefined ? { allowedOrigins: options.allowedOrigins } : {}),
    ...(options.eventIntervalMs !== undefined ? { eventIntervalMs: options.eventIntervalMs } : {}),
  });
  return {
    host,
    sim,
    core,
    dataDir,
    async close() {
      await host.close();
      await core.close();
      await sim.close();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
