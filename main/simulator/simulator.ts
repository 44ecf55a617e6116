import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createPki } from './pki.js';
import { ImageStore } from './image-store.js';
import { applyFaults, noFaults, type FaultSettings } from './faults.js';
import { startImageioServer, type ImageioServer } from './imageio/server.js';
import { startEngineServer, type EngineServer, type EngineVersion } from './engine/server.js';
import { imageioPersonalityFor } from './personalities.js';
import type { LoopbackHost } from './loopback.js';

/** How to start the simulator (every field optional). */
export interface SimulatorOptions {
  /** Engine REST port; 0 or absent picks a free one. */
  port?: number;
  /** Where the engine and its data servers listen: `127.0.0.1` (default) or `::1` (IPv6; URLs then say `[::1]`). */
  host?: LoopbackHost;
  /** Where the sparse volume files go; a temporary folder (removed on close) when absent. */
  dataDir?: string;
  engineVersion?: EngineVersion;
  /** Fast phase poller and short disk lock times, for tests. */
  fast?: boolean;
  faults?: Partial<FaultSettings>;
  username?: string;
  password?: string;
  /** Seed the data center, storage domains and disks (default true). */
  seed?: boolean;
}

/** A running simulator: the engine REST API, a host imageio daemon and the engine-side proxy. */
export interface Simulator {
  readonly engineUrl: string;
  readonly username: string;
  readonly password: string;
  readonly caFile: string;
  readonly caPem: string;
  readonly caFingerprint: string;
  readonly engineVersion: EngineVersion;
  readonly faults: FaultSettings;
  readonly images: ImageStore;
  readonly daemon: ImageioServer;
  readonly proxy: ImageioServer;
  readonly engine: EngineServer;
  /** The JSON line the command prints first. */
  connectionInfo(): { engine_url: string; username: string; password: string; ca_file: string };
  close(): Promise<void>;
}

/** Starts the whole simulator in this process. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const engineVersion = options.engineVersion ?? '4.5';
  const ownDir = options.dataDir === undefined;
  const dataDir = ownDir ? await mkdtemp(join(tmpdir(), 'diskferry-sim-')) : resolve(options.dataDir!);
  await mkdir(dataDir, { recursive: true });
  const pki = await createPki();
  const caFile = join(dataDir, 'ca.pem');
  await writeFile(caFile, pki.caPem);

  const faults = noFaults();
  if (options.faults) applyFaults(faults, options.faults as Record<string, unknown>);
  const images = new ImageStore(join(dataDir, 'images'));
  const username = options.username ?? 'admin@internal';
  const password = options.password ?? randomBytes(9).toString('base64url');
  const personality = imageioPersonalityFor(engineVersion, pki.server.cert);

  const host = options.host ?? '127.0.0.1';
  const daemon = await startImageioServer({ role: 'daemon', host, tls: pki.server, images, faults, personality: personality.daemon });
  const proxy = await startImageioServer({ role: 'proxy', host, tls: pki.server, images, faults, personality: personality.proxy, upstream: daemon });
  const engine = await startEngineServer({
    ...(options.port !== undefined ? { port: options.port } : {}),
    host,
    tls: pki.server,
    caPem: pki.caPem,
    version: engineVersion,
    fast: options.fast ?? false,
    username,
    password,
    images,
    daemon,
    proxy,
    faults,
    seed: options.seed ?? true,
  });

  let closed = false;
  return {
    engineUrl: engine.url,
    username,
    password,
    caFile,
    caPem: pki.caPem,
    caFingerprint: pki.caFingerprint,
    engineVersion,
    faults,
    images,
    daemon,
    proxy,
    engine,
    connectionInfo: () => ({ engine_url: engine.url, username, password, ca_file: caFile }),
    async close() {
      if (closed) return;
      closed = true;
      await engine.close();
      await Promise.all([proxy.close(), daemon.close()]);
      await images.close();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
